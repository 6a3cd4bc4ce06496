import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Dev mode's `POST /_dev/reset`: the database back to the seed fixtures in one transaction (outside dev mode the
/// route does not exist: 404). Every product table is emptied (users, sessions, applications, codes and tokens,
/// MFA state, SSO identities, the outbox, the audit log, the persisted rate-limit buckets) and the fixtures are
/// written again with their fixed ids, passwords, secrets and bot tokens; a fixture without a fixed id gets a new
/// one. Every principal cached before is invalidated. Kept: applied migrations, worker and job leases, the
/// installation's facts and AT Protocol client keys (`DevStore.keptTables`).
package enum DevRoutes {
    package static func register(on router: inout Router, accounts: Accounts) {
        let context = accounts.context
        guard context.config.dev else { return }
        // Prepared at the first reset (argon2id for each password), not at start: `serve` has just applied them.
        let prepared = Mutex<(done: Bool, fixtures: Fixtures.Prepared?)>((false, nil))
        router.api(.POST, "/_dev/reset") { _ in
            let fixtures = prepared.withLock { state in
                if !state.done { state = (true, load(accounts)) }
                return state.fixtures
            }
            let (tables, summary) = try reset(accounts, fixtures: fixtures)
            return .json(.ok, JSONValue.object([
                ("reset", true), ("tables", .int(Int64(tables.count))), ("seed", context.config.seedFile.map(JSONValue.string) ?? .null),
                ("fixtures", summary),
            ]).serialized, headers: ["Cache-Control": "no-store"])
        }
    }

    /// Empties the product tables and writes the fixtures, all in one transaction.
    package static func reset(_ accounts: Accounts, fixtures: Fixtures.Prepared?) throws -> ([String], JSONValue) {
        do {
            let result = try accounts.write { db, invalidations in
                invalidations.users = try DevStore.allUserIDs(in: db)
                let tables = try DevStore.wipeProductData(in: db)
                let summary = try fixtures?.apply(in: db, snowflakes: accounts.context.snowflakes, now: accounts.now) ?? .null
                return (tables, summary)
            }
            accounts.context.logger.info("dev reset", metadata: ["tables": "\(result.0.count)"])
            return result
        } catch let invalid as Fixtures.Invalid {
            throw APIError(.init(409), code: "SEED_REJECTED", message: "The seed file cannot be applied: \(invalid)")
        }
    }

    /// The fixtures of the seed file `serve` applied, prepared (argon2id hashes, sealed TOTP secrets) once so
    /// that every later reset is one quick transaction; nil without a seed file.
    private static func load(_ accounts: Accounts) -> Fixtures.Prepared? {
        let context = accounts.context
        guard let path = context.config.seedFile else { return nil }
        do {
            guard let bytes = readFile(path) else { throw Fixtures.Invalid(problems: ["cannot read the file"]) }
            let keys = accounts.botKeys.signing(now: accounts.now)
            let fixtures = try Fixtures.parse(bytes, keys: keys, blocklist: context.config.passwordBlocklist)
            return try fixtures.prepare(hasher: accounts.hashPool.hasher, mfaKeys: accounts.mfaKeys, keys: keys)
        } catch {
            context.logger.error("seed file unusable for /_dev/reset", metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while out.count <= Fixtures.maxBytes {
            let n = fread(&buffer, 1, buffer.count, file)
            out += buffer[0..<n]
            if n < buffer.count { return out }
        }
        return nil
    }
}
