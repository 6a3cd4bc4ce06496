import SQLite
import Testing

@Suite struct MigratorTests {
    static let one = Migration(version: 1, name: "init", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY);")
    static let two = Migration(
        version: 2, name: "users",
        sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id)); CREATE INDEX users_a ON users (a_id);")
    static let three = Migration(version: 3, name: "more", sql: "ALTER TABLE users ADD COLUMN email TEXT;")

    func tables(_ db: Database) throws -> [String] {
        try db.read {
            try $0.query("SELECT name FROM sqlite_master WHERE type = ? ORDER BY name", "table").compactMap { $0.string("name") }
        }
    }

    @Test func migratesEmptyDatabaseInOrder() throws {
        try withTempDatabase { db, _ throws in
            let migrator = Migrator(migrations: [Self.three, Self.one, Self.two])
            #expect(try migrator.status(db) == MigrationStatus(currentVersion: 0, latestKnownVersion: 3, pending: [1, 2, 3]))
            #expect(try migrator.migrate(db) == [1, 2, 3])
            #expect(try tables(db) == ["a", "schema_migrations", "users"])
            let rows = try db.read { try $0.query("SELECT * FROM schema_migrations ORDER BY applied_at, version") }
            #expect(rows.map { $0.int("version") } == [1, 2, 3])
            #expect(rows.map { $0.string("name") } == ["init", "users", "more"])
            #expect(rows.map { $0.string("checksum") } == [Self.one.checksum, Self.two.checksum, Self.three.checksum])
            #expect(rows.allSatisfy { ($0.int("applied_at") ?? 0) > 1_600_000_000_000 })
            let status = try migrator.status(db)
            #expect(status.isCurrent && status.currentVersion == 3 && status.pending.isEmpty)
        }
    }

    @Test func secondRunAppliesNothing() throws {
        try withTempDatabase { db, _ throws in
            let migrator = Migrator(migrations: [Self.one, Self.two])
            #expect(try migrator.migrate(db) == [1, 2])
            #expect(try migrator.migrate(db) == [])
        }
    }

    @Test func appliesOnlyNewMigrations() throws {
        try withTempDatabase { db, _ throws in
            #expect(try Migrator(migrations: [Self.one]).migrate(db) == [1])
            #expect(try Migrator(migrations: [Self.one, Self.two, Self.three]).migrate(db) == [2, 3])
        }
    }

    @Test func emptyMigrationListIsCurrent() throws {
        try withTempDatabase { db, _ throws in
            let migrator = Migrator(migrations: [])
            #expect(try migrator.migrate(db) == [])
            #expect(try migrator.status(db).isCurrent)
        }
    }

    @Test func editedMigrationIsRejected() throws {
        try withTempDatabase { db, _ throws in
            _ = try Migrator(migrations: [Self.one]).migrate(db)
            let edited = Migration(version: 1, name: "init", sql: Self.one.sql + " -- tweak")
            #expect(throws: MigrationError.checksumMismatch(version: 1, name: "init")) {
                try Migrator(migrations: [edited, Self.two]).migrate(db)
            }
            #expect(!(try tables(db).contains("users")))
        }
    }

    @Test func newerDatabaseIsRejected() throws {
        try withTempDatabase { db, _ throws in
            _ = try Migrator(migrations: [Self.one, Self.two]).migrate(db)
            let old = Migrator(migrations: [Self.one])
            #expect(throws: MigrationError.databaseNewer(databaseVersion: 2, latestKnown: 1)) {
                try old.migrate(db)
            }
            let status = try old.status(db)
            #expect(status.currentVersion == 2 && status.latestKnownVersion == 1 && !status.isCurrent)
        }
    }

    @Test func failingMigrationRollsBack() throws {
        try withTempDatabase { db, _ throws in
            let broken = Migration(
                version: 2, name: "broken", sql: "CREATE TABLE b (id INTEGER); CREATE TABLE c (id INTEGER); CREATE TABLE (;")
            let migrator = Migrator(migrations: [Self.one, broken, Self.three])
            let thrown = #expect(throws: MigrationError.self) { try migrator.migrate(db) }
            guard case .failed(let version, let name, let error) = thrown else {
                Issue.record("expected .failed, got \(String(describing: thrown))")
                return
            }
            #expect(version == 2 && name == "broken" && error.code == 1)
            #expect(try tables(db) == ["a", "schema_migrations"])
            #expect(try migrator.status(db) == MigrationStatus(currentVersion: 1, latestKnownVersion: 3, pending: [2, 3]))
        }
    }

    @Test func invalidMigrationListIsRejected() throws {
        try withTempDatabase { db, _ throws in
            #expect(throws: MigrationError.gap(expected: 2, found: 3)) {
                try Migrator(migrations: [Self.one, Self.three]).migrate(db)
            }
            #expect(throws: MigrationError.duplicateVersion(1)) {
                try Migrator(migrations: [Self.one, Self.one]).migrate(db)
            }
            #expect(try tables(db).isEmpty)
        }
    }

    @Test func migratesFromDirectory() throws {
        try withTempDatabase { db, dir throws in
            let migrations = dir + "/migrations"
            #expect(mkdirForTest(migrations))
            try writeFile(migrations + "/0001_init.sql", Self.one.sql)
            try writeFile(migrations + "/0002_users.sql", Self.two.sql)
            let loaded = try Migration.load(directory: migrations)
            #expect(try Migrator(migrations: loaded).migrate(db) == [1, 2])
            #expect(try Migrator(migrations: [Self.one, Self.two]).migrate(db) == [])
        }
    }
}
