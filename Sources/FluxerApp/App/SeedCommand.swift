import FluxerDomain
import FluxerAPI
import FluxerPersistence
#if canImport(Glibc)
import Glibc
#endif
import FluxerCrypto
import FoundationEssentials
import SQLite
import FluxerJSON

/// `fluxer-auth seed F` and `serve --seed F`: creates users, applications and guilds from a JSON file (format:
/// `Fixtures`), for the drop-in-mock use. The file is checked whole first (refused with the path of every bad
/// entry), then written in one transaction. Idempotent: what exists is reported, not duplicated. Prints JSON with the
/// ids, and the one-time secrets of what it created.
public enum SeedCommand {
    /// Applies the seed file at `path`; returns the JSON summary.
    public static func run(config: Config, path: String) throws(UserCommands.Failure) -> String {
        try apply(try prepare(config: config, path: path), config: config, path: path)
    }

    /// Writes prepared fixtures (see `prepare`) in one transaction; returns the JSON summary.
    package static func apply(_ prepared: Fixtures.Prepared, config: Config, path: String) throws(UserCommands.Failure) -> String {
        // One worker id for the whole file, not one per created row.
        return try UserCommands.withMintingDatabase(config, snowflakes: nil) { database, snowflakes throws(UserCommands.Failure) in
            do {
                return try database.write { db in
                    try prepared.apply(in: db, snowflakes: snowflakes, now: Clock.wallMilliseconds())
                }.serialized
            } catch let invalid as Fixtures.Invalid {
                throw .invalid("seed: \(path): \(invalid)")
            } catch {
                throw .invalid("seed: \(path): database: \(error)")
            }
        }
    }

    /// Reads, checks and prepares (hashes, seals) the seed file at `path` for `config`'s server.
    package static func prepare(config: Config, path: String) throws(UserCommands.Failure) -> Fixtures.Prepared {
        guard let bytes = FileManagerBytes.read(path) else { throw .invalid("seed: cannot read \(path)") }
        // The database first: dev mode's key lives beside it (SQLite) or in it (PostgreSQL).
        do { _ = try MigrateCommand.run(config: config) } catch { throw .startup(error) }
        guard let secret = config.commandSecretKey() else {
            throw .startup(.config(ConfigError(key: "security.secret_key", reason: "required to seal MFA secrets and sign bot tokens; set FLUXER_AUTH_SECRET_KEY or use --dev")))
        }
        CryptoRuntime.initialize()
        // The keys every server signs with now: the configured ones and those `keys rotate` stored.
        let keys: BotTokenKeyRing
        do {
            let database = try config.openDatabase()
            defer { database.close() }
            keys = try database.read { try BotTokenKeys.Source(config: config, secret: secret).load(in: $0) }.signing(now: Clock.wallMilliseconds())
        } catch let error as StartupError {
            throw .startup(error)
        } catch {
            throw .invalid("seed: bot-token keys: \(error)")
        }
        do {
            let fixtures = try Fixtures.parse(bytes, keys: keys, blocklist: config.passwordBlocklist)
            let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
            return try fixtures.prepare(hasher: hasher, mfaKeys: MFAKeys(secret: secret), keys: keys)
        } catch {
            throw .invalid("seed: \(path): \(error)")
        }
    }
}

/// Reads a whole file (≤ 4 MiB) without Foundation's FileManager.
enum FileManagerBytes {
    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count <= 4 << 20 {
            let n = fread(&buf, 1, buf.count, file)
            out += buf[0..<n]
            if n < buf.count { return out }
        }
        return nil
    }
}
