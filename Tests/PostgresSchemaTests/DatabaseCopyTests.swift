import Foundation
import Postgres
import PostgresTestSupport
import SQLite
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import FluxerPersistence

/// `fluxer-auth db copy --from sqlite:FILE --to postgresql://…` (issue 13): a SQLite install moved to PostgreSQL
/// in one transaction, value by value; refused, with nothing changed, when the source or the target is not fit.
@Suite struct DatabaseCopyTests {
    typealias S = SchemaScenario
    typealias C = CopyScenario

    /// Tables whose rows are the data (every table but the migrators' and the leases).
    /// What the copy moves: not the leases, nor the cache-invalidation log of SQLite processes.
    static let dataTables = S.countsAfterRows.keys.filter { !["worker_leases", "job_leases", "cache_invalidations"].contains($0) }.sorted()

    static func tableCount(_ database: PostgresDatabase) throws -> Int64 {
        try database.read {
            try $0.queryOne("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'")?.int("n") ?? -1
        }
    }

    static func counts(_ database: PostgresDatabase, _ tables: [String]) throws -> [String: Int64] {
        try database.read { connection in
            var counts: [String: Int64] = [:]
            for table in tables { counts[table] = try connection.queryOne("SELECT count(*) AS n FROM \(table)")?.int("n") }
            return counts
        }
    }

    // MARK: - A full copy

    @Test func copy_everyTable_equalValueByValue() throws {
        let source = try CopySourceFile(C.fill)
        defer { source.remove() }
        let target = try TestDatabase.make()
        let summary = try DatabaseCopy.run(from: "sqlite:" + source.path, to: target.url, now: C.copyTime)

        let sqlite = try Database(path: source.path, readerCount: 1)
        defer { sqlite.close() }
        let postgres = try target.open()
        defer { postgres.close() }
        var expected: [String: Int64] = [:]
        try sqlite.read { connection in
            for table in Self.dataTables + ["worker_leases"] {
                expected[table] = try connection.queryOne("SELECT count(*) AS n FROM \(table)")?.int("n")
            }
        }
        #expect(Dictionary(uniqueKeysWithValues: summary.tables.map { ($0.name, $0.rows) }) == expected)
        #expect(summary.rows == expected.values.reduce(0, +))
        #expect(summary.target == (try PostgresURL(target.url)).description && !summary.json.contains(TestCluster.password))
        #expect(expected["users"] == 4 && expected["audit_events"] == 4 && expected["worker_leases"] == 1024)

        for table in Self.dataTables {
            let columns = try postgres.read { try TableContents.columns(table, $0) }
            let want = try sqlite.read { try TableContents.sqlite(table, columns: columns, $0) }
            let got = try postgres.read { try TableContents.postgres(table, columns: columns, $0) }
            #expect(got == want, "\(table)")
            #expect(got.count == Int(expected[table] ?? -1), "\(table)")
        }

        // The corners, spelled out.
        try postgres.read { connection in
            let zed = try #require(try connection.queryOne("SELECT * FROM users WHERE id = $1", C.highUser))
            #expect(zed.int("id") == C.highUser && UInt64(bitPattern: zed.int("id")!) == 0xF000_0000_0000_0001)
            #expect(zed.string("global_name") == C.awkwardText)
            #expect(zed.isNull("email") && zed.bool("verified") == false)
            let alice = try #require(try connection.queryOne("SELECT verified, sms_mfa_enabled, totp_secret FROM users WHERE id = $1", S.alice))
            #expect(alice["verified"] == .bool(true) && alice["sms_mfa_enabled"] == .bool(true))
            #expect(alice.blob("totp_secret") == S.hash(1))
            let key = try #require(try connection.queryOne("SELECT public_key, aaguid, backup_eligible FROM webauthn_credentials WHERE user_id = $1", C.highUser))
            #expect(key["public_key"] == .bytes([]) && key["aaguid"] == .bytes([]) && key.isNull("backup_eligible"))
            #expect(try connection.queryOne("SELECT sign_count FROM webauthn_credentials WHERE user_id = $1", S.alice)?.int("sign_count") == 4_294_967_295)
        }
    }

    @Test func copy_identitySequences_continueAfterTheSourcesIDs() throws {
        let source = try CopySourceFile(C.fill)
        defer { source.remove() }
        let target = try TestDatabase.make()
        _ = try DatabaseCopy.run(from: source.path, to: target.url, now: C.copyTime)
        let postgres = try target.open()
        defer { postgres.close() }
        // audit_events: ids 1-4 copied, 5 was handed out and deleted (AUTOINCREMENT): the next is 6.
        let audit = try postgres.write {
            try $0.queryOne("INSERT INTO audit_events (at, event, outcome) VALUES ($1, 'after', 'success') RETURNING id", S.now)?.int("id")
        }
        #expect(audit == 6)
        let sms = try postgres.write {
            try $0.queryOne(
                """
                INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at)
                VALUES ($1, 'sudo', 'sudo', $2, $3, $4) RETURNING id
                """, S.alice, S.hash(70), S.now, S.now)?.int("id")
        }
        #expect(sms == 3)
    }

    @Test func copy_workerLeases_carryTheFloors_withoutHolders() throws {
        let source = try CopySourceFile(C.fill)
        defer { source.remove() }
        let target = try TestDatabase.make()
        _ = try DatabaseCopy.run(from: source.path, to: target.url, now: C.copyTime)
        let postgres = try target.open()
        defer { postgres.close() }
        try postgres.read { connection in
            let used = try connection.query("SELECT * FROM worker_leases WHERE floor_ms <> 0 ORDER BY worker_id")
            #expect(used.map { $0.int("worker_id") } == [C.releasedWorker.id, C.crashedWorker.id])
            // The released holder's high-water mark; the crashed holder's lease end (it may have minted up to it).
            #expect(used.map { $0.int("floor_ms") } == [C.releasedWorker.floor, C.crashedWorker.expiresAt])
            let held = try connection.queryOne(
                """
                SELECT count(*) AS n FROM worker_leases WHERE holder IS NOT NULL OR pid IS NOT NULL OR hostname IS NOT NULL
                    OR started_at IS NOT NULL OR renewed_at IS NOT NULL OR expires_at <> 0
                """)
            #expect(held?.int("n") == 0)
            #expect(try connection.queryOne("SELECT count(*) AS n FROM worker_leases")?.int("n") == 1024)
            #expect(try connection.queryOne("SELECT count(*) AS n FROM job_leases")?.int("n") == 0)
        }
    }

    // MARK: - Refusals

    @Test func nonEmptyTarget_refused_nothingChanged() throws {
        let source = try CopySourceFile(C.fill)
        defer { source.remove() }

        // A migrated target with one row of its own.
        let used = try MigratedPostgres()
        defer { used.close() }
        try used.database.write { try $0.run("INSERT INTO instance (key, value) VALUES ('created_at', '1')") }
        let before = try Self.counts(used.database, Self.dataTables + ["worker_leases"])
        #expect(throws: DatabaseCopyError.targetNotEmpty(target: try PostgresURL(used.test.url).description, table: "instance")) {
            try DatabaseCopy.run(from: source.path, to: used.test.url, now: C.copyTime)
        }
        #expect(try Self.counts(used.database, Self.dataTables + ["worker_leases"]) == before)

        // A target whose worker ids were leased: used by a fluxer-auth, even without data rows.
        let leased = try MigratedPostgres()
        defer { leased.close() }
        try leased.database.write { try $0.run("UPDATE worker_leases SET floor_ms = 1 WHERE worker_id = 9") }
        #expect(throws: DatabaseCopyError.targetNotEmpty(target: try PostgresURL(leased.test.url).description, table: "worker_leases")) {
            try DatabaseCopy.run(from: source.path, to: leased.test.url, now: C.copyTime)
        }
        #expect(try Self.counts(leased.database, ["users"]) == ["users": 0])

        // A target at an older PostgreSQL schema with rows: refused before migrating it.
        let old = try TestDatabase.make()
        let oldDatabase = try old.open()
        defer { oldDatabase.close() }
        _ = try PostgresMigrator(migrations: [EmbeddedPostgresMigrations.all[0]]).migrate(oldDatabase)
        try oldDatabase.write { try S.rows[1].run($0) }
        #expect(throws: DatabaseCopyError.targetNotEmpty(target: try PostgresURL(old.url).description, table: "users")) {
            try DatabaseCopy.run(from: source.path, to: old.url, now: C.copyTime)
        }
        #expect(try PostgresMigrator(migrations: EmbeddedPostgresMigrations.all).status(oldDatabase).currentVersion == 1)
    }

    @Test func sourceAtAnotherSchemaVersion_refused_targetUntouched() throws {
        let latest = EmbeddedMigrations.all.count
        let older = try CopySourceFile(migrations: Array(EmbeddedMigrations.all.dropLast()))
        defer { older.remove() }
        let newer = try CopySourceFile(migrations: EmbeddedMigrations.all + [Migration(version: latest + 1, name: "future", sql: "CREATE TABLE future (x INTEGER)")])
        defer { newer.remove() }
        let edited = try CopySourceFile()
        defer { edited.remove() }
        try edited.write { try $0.run("UPDATE schema_migrations SET checksum = 'x' WHERE version = 3") }

        let target = try TestDatabase.make()
        let postgres = try target.open()
        defer { postgres.close() }
        #expect(throws: DatabaseCopyError.sourceVersion(path: older.path, version: latest - 1, latest: latest)) {
            try DatabaseCopy.run(from: older.path, to: target.url)
        }
        let olderText = DatabaseCopyError.sourceVersion(path: older.path, version: latest - 1, latest: latest).description
        #expect(olderText.contains("fluxer-auth migrate --database \(older.path)"))
        #expect(throws: DatabaseCopyError.sourceVersion(path: newer.path, version: latest + 1, latest: latest)) {
            try DatabaseCopy.run(from: newer.path, to: target.url)
        }
        #expect(throws: DatabaseCopyError.sourceEdited(path: edited.path, version: 3)) {
            try DatabaseCopy.run(from: edited.path, to: target.url)
        }
        #expect(try Self.tableCount(postgres) == 0, "the target was migrated for a refused copy")
    }

    @Test func sourceWithALiveLease_refused() throws {
        let source = try CopySourceFile { connection in
            try connection.run(
                "UPDATE worker_leases SET holder = 'live', pid = 99, hostname = 'node-a', expires_at = ? WHERE worker_id = 3",
                C.copyTime + 30_000)
        }
        defer { source.remove() }
        let target = try TestDatabase.make()
        let postgres = try target.open()
        defer { postgres.close() }
        let error = DatabaseCopyError.sourceInUse(path: source.path, workerID: 3, pid: 99, hostname: "node-a")
        #expect(throws: error) { try DatabaseCopy.run(from: source.path, to: target.url, now: C.copyTime) }
        #expect(error.exitCode == 2 && error.description.contains("pid 99 on node-a"))
        #expect(try Self.tableCount(postgres) == 0)
        // Once the lease has ended (a crashed process), the copy goes ahead.
        _ = try DatabaseCopy.run(from: source.path, to: target.url, now: C.copyTime + 30_000)
    }

    @Test func missingOrForeignSource_refused_noFileCreated() throws {
        let directory = try makeTemporaryDirectory("fluxer-copy-missing")
        defer { removeTree(directory) }
        let target = try TestDatabase.make()
        for path in [directory + "/missing.sqlite", directory + "/no/such/dir/x.sqlite"] {
            #expect(throws: DatabaseCopyError.sourceMissing(path: path)) {
                try DatabaseCopy.run(from: "sqlite:" + path, to: target.url)
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/no"))

        let text = directory + "/notes.txt"
        try writeFile(text, "not a database, just some text that is long enough to be read as a header\n")
        #expect(throws: DatabaseCopyError.sourceUnreadable(path: text, reason: "\(text) is not an SQLite database")) {
            try DatabaseCopy.run(from: text, to: target.url)
        }
        let empty = directory + "/empty.sqlite"
        try writeFile(empty, "")
        #expect(throws: DatabaseCopyError.sourceUnreadable(path: empty, reason: "no schema_migrations table: not a fluxer-auth database")) {
            try DatabaseCopy.run(from: empty, to: target.url)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty, "the empty source was written")
        for argument in ["postgresql://u@h/db", "sqlite:", ""] {
            #expect(throws: DatabaseCopyError.self) { try DatabaseCopy.run(from: argument, to: target.url) }
        }
    }

    @Test func badOrUnreachableTarget_refused_noPassword() throws {
        let source = try CopySourceFile()
        defer { source.remove() }
        let cluster = try TestCluster.shared()
        let port = try freeLoopbackPort()
        let cases: [(url: String, unreachable: Bool)] = [
            ("mysql://root:Tr0ub4dor&3-not-in-logs@127.0.0.1/x", false),
            ("postgresql://postgres:Tr0ub4dor&3-not-in-logs@127.0.0.1:99999/x", false),
            ("postgresql://postgres:Tr0ub4dor&3-not-in-logs@127.0.0.1:\(port)/x?connect_timeout=2&sslmode=disable", true),
            (cluster.url("postgres", password: "wrong-Tr0ub4dor&3-not-in-logs"), true),
        ]
        for (url, unreachable) in cases {
            do {
                _ = try DatabaseCopy.run(from: source.path, to: url)
                Issue.record("\(url) was accepted")
            } catch {
                if unreachable {
                    guard case .targetUnreachable = error else { Issue.record("\(url): \(error)"); continue }
                } else {
                    guard case .invalidTarget = error else { Issue.record("\(url): \(error)"); continue }
                }
                #expect(error.exitCode == 2)
                #expect(!error.description.contains("Tr0ub4dor") && !error.description.contains("\n"), "\(error)")
            }
        }
    }

    @Test func unconvertibleValue_refused_namingTableAndColumn_nothingCommitted() throws {
        let cases: [(update: String, table: String, column: String, reason: String)] = [
            // sessions come after users in foreign-key order: the users already inserted are rolled back too.
            ("UPDATE sessions SET is_desktop = 2", "sessions", "is_desktop", "a row holds an integer other than 0 or 1 where PostgreSQL wants boolean"),
            ("UPDATE outbox SET attempts = 'many'", "outbox", "attempts", "a row holds text where PostgreSQL wants integer"),
            ("UPDATE outbox SET attempts = 4294967296", "outbox", "attempts", "a row holds an integer out of integer's range"),
            ("UPDATE instance SET value = X'00'", "instance", "value", "a row holds a blob where PostgreSQL wants text"),
            ("UPDATE users SET global_name = 'a' || char(0) || 'b' WHERE id = \(S.bob)", "users", "global_name",
             "a row holds text containing NUL, which PostgreSQL text cannot store"),
            ("UPDATE sessions SET id_hash = 'text' WHERE user_id = \(S.bob)", "sessions", "id_hash", "a row holds text where PostgreSQL wants bytea"),
            ("UPDATE rate_limits SET tat = 1.5", "rate_limits", "tat", "a row holds a floating-point number where PostgreSQL wants bigint"),
        ]
        for (update, table, column, reason) in cases {
            let source = try CopySourceFile { connection in
                try CopyScenario.fill(connection)
                try connection.execute(update)
            }
            defer { source.remove() }
            let target = try TestDatabase.make()
            let error = DatabaseCopyError.unconvertible(table: table, column: column, reason: reason)
            #expect(throws: error) { try DatabaseCopy.run(from: source.path, to: target.url, now: C.copyTime) }
            #expect(error.exitCode == 1)
            let postgres = try target.open()
            defer { postgres.close() }
            let counts = try Self.counts(postgres, Self.dataTables)
            #expect(counts.values.allSatisfy { $0 == 0 }, "\(update): \(counts)")
            #expect(try postgres.read { try $0.queryOne("SELECT count(*) AS n FROM worker_leases WHERE floor_ms <> 0")?.int("n") } == 0)
        }
    }

    // MARK: - Size

    /// 100k rows across users, sessions and the audit log copy in seconds (the debug build; release is faster).
    @Test func copy_100kRows_inSeconds() throws {
        let source = try CopySourceFile { connection in
            for n in 0..<20_000 {
                let id = S.alice + Int64(n)
                try connection.run("INSERT INTO users (id, username, discriminator, email, email_key, verified, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   id, "user\(n)", n % 10_000, "User\(n)@example.com", "user\(n)@example.com", n % 2 == 0, S.now + Int64(n))
                for s in 0..<2 {
                    try connection.run("INSERT INTO sessions (id_hash, user_id, created_at, last_used_at, user_agent) VALUES (?, ?, ?, ?, ?)",
                                       withUnsafeBytes(of: (Int64(n) * 2 + Int64(s)).bigEndian, Array.init) + [UInt8](repeating: 0xA5, count: 24), id, S.now, S.now, "agent \(n)")
                }
                for a in 0..<2 {
                    try connection.run("INSERT INTO audit_events (at, event, outcome, user_id, ip) VALUES (?, 'login.success', 'success', ?, ?)",
                                       S.now + Int64(a), id, "192.0.2.\(n % 250)")
                }
            }
        }
        defer { source.remove() }
        let target = try TestDatabase.make()
        let start = monotonicMilliseconds()
        let summary = try DatabaseCopy.run(from: source.path, to: target.url, now: C.copyTime)
        let elapsed = monotonicMilliseconds() - start
        print("db copy: \(summary.rows - 1024) rows (+1024 worker leases) in \(elapsed) ms")
        #expect(summary.rows == 100_000 + 1024)
        #expect(elapsed < 30_000, "\(elapsed) ms")
    }
}
