import Postgres
import PostgresTestSupport
import Synchronization
import Testing

@Suite struct PostgresMigratorTests {
    static let first = PostgresMigration(version: 1, name: "accounts", sql: "CREATE TABLE accounts (id bigint PRIMARY KEY)")
    static let second = PostgresMigration(
        version: 2, name: "emails",
        sql: "ALTER TABLE accounts ADD COLUMN email text; CREATE UNIQUE INDEX accounts_email ON accounts (email);")
    static let third = PostgresMigration(version: 3, name: "seed", sql: "INSERT INTO accounts (id, email) VALUES (1, 'a')")

    @Test func appliesInOrderOnceAndRecordsChecksums() throws {
        try withDatabase { db, _ throws in
            // Given out of order: 2 needs 1's table.
            let migrator = PostgresMigrator(migrations: [Self.second, Self.first])
            #expect(try migrator.status(db) == PostgresMigrationStatus(currentVersion: 0, latestKnownVersion: 2, pending: [1, 2]))
            #expect(try migrator.migrate(db) == [1, 2])
            #expect(try migrator.migrate(db) == [])
            let rows = try db.read { try $0.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version") }
            #expect(rows.map { $0.int("version") } == [1, 2])
            #expect(rows.map { $0.string("name") } == ["accounts", "emails"])
            #expect(rows.map { $0.string("checksum") } == [Self.first.checksum, Self.second.checksum])
            #expect(Self.first.checksum.count == 64)

            let next = PostgresMigrator(migrations: [Self.first, Self.second, Self.third])
            #expect(try next.status(db).pending == [3])
            #expect(try next.migrate(db) == [3])
            #expect(try next.status(db).isCurrent)
        }
    }

    @Test func editedAppliedMigrationIsRefused() throws {
        try withDatabase { db, _ throws in
            _ = try PostgresMigrator(migrations: [Self.first, Self.second]).migrate(db)
            let edited = PostgresMigration(version: 2, name: "emails", sql: Self.second.sql + " -- edited")
            let error = #expect(throws: PostgresMigrationError.self) {
                try PostgresMigrator(migrations: [Self.first, edited, Self.third]).migrate(db)
            }
            #expect(error == .checksumMismatch(version: 2, name: "emails"))
            // Refused before anything was applied.
            #expect(try PostgresMigrator(migrations: [Self.first, Self.second, Self.third]).status(db).pending == [3])
        }
    }

    @Test func newerDatabaseIsRefused() throws {
        try withDatabase { db, _ throws in
            _ = try PostgresMigrator(migrations: [Self.first, Self.second, Self.third]).migrate(db)
            let error = #expect(throws: PostgresMigrationError.self) {
                try PostgresMigrator(migrations: [Self.first, Self.second]).migrate(db)
            }
            #expect(error == .databaseNewer(databaseVersion: 3, latestKnown: 2))
            #expect(error?.description.contains("newer than this binary") == true)
        }
    }

    @Test func failedMigrationRollsBackAndKeepsEarlierOnes() throws {
        try withDatabase { db, _ throws in
            let broken = PostgresMigration(version: 2, name: "broken", sql: "CREATE TABLE half (v int); SELEC 1;")
            let error = #expect(throws: PostgresMigrationError.self) {
                try PostgresMigrator(migrations: [Self.first, broken]).migrate(db)
            }
            guard case .failed(let version, _, let cause) = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(version == 2)
            #expect(cause.sqlState?.code == "42601")  // syntax_error
            #expect(try PostgresMigrator(migrations: [Self.first]).status(db).isCurrent)
            #expect(try db.read { try $0.queryOne("SELECT to_regclass('half') IS NULL AS gone")?.bool("gone") } == true)
        }
    }

    @Test func gapsAndDuplicatesAreRefused() throws {
        try withDatabase { db, _ throws in
            #expect(throws: PostgresMigrationError.gap(expected: 2, found: 3)) {
                try PostgresMigrator(migrations: [Self.first, Self.third]).migrate(db)
            }
            #expect(throws: PostgresMigrationError.duplicateVersion(1)) {
                try PostgresMigrator(migrations: [Self.first, Self.first]).migrate(db)
            }
        }
    }

    /// Four "nodes" (each its own pool) start together; the advisory lock lets exactly one apply each migration.
    /// The migrations are not idempotent (a plain CREATE TABLE, an INSERT), so a second run would fail or
    /// duplicate a row.
    @Test func concurrentMigratorsApplyOnce() throws {
        let test = try TestDatabase.make()
        let slow = PostgresMigration(version: 1, name: "slow", sql: "SELECT pg_sleep(0.2); CREATE TABLE once (v int);")
        let insert = PostgresMigration(version: 2, name: "insert", sql: "INSERT INTO once VALUES (1)")
        let migrator = PostgresMigrator(migrations: [slow, insert])
        let nodes = try (0..<4).map { _ in try test.open(poolSize: 1, checkoutTimeoutMilliseconds: 10_000) }
        defer { for node in nodes { node.close() } }
        let applied = Mutex<[[Int]]>([])
        let failures = Mutex<[String]>([])
        runThreads(nodes.count) { index in
            do {
                let versions = try migrator.migrate(nodes[index])
                applied.withLock { $0.append(versions) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(applied.withLock { $0 }.flatMap { $0 }.sorted() == [1, 2])
        #expect(try nodes[0].read { try $0.queryOne("SELECT count(*) AS n FROM once")?.int("n") } == 1)
    }
}
