@testable import FluxerAPI
@testable import FluxerApp
import Foundation
import Postgres
import PostgresTestSupport
import Synchronization
import Testing
import FluxerPersistence

/// The PostgreSQL migrations the binary carries (`EmbeddedPostgresMigrations.all`, from migrations/postgres/).
@Suite struct EmbeddedPostgresMigrationsTests {
    static var versions: [Int] { EmbeddedPostgresMigrations.all.map(\.version) }

    @Test func embedded_matchTheMigrationsDirectory() throws {
        let directory = repositoryRoot + "/migrations/postgres"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        let onDisk = try files.map { file in
            let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            let stem = file.dropLast(4)
            let underscore = try #require(stem.firstIndex(of: "_"))
            return PostgresMigration(
                version: try #require(Int(stem[..<underscore])), name: String(stem[stem.index(after: underscore)...]), sql: sql)
        }
        #expect(!onDisk.isEmpty)
        #expect(onDisk.map(\.version) == Self.versions)
        #expect(onDisk.map(\.name) == EmbeddedPostgresMigrations.all.map(\.name))
        #expect(onDisk.map(\.checksum) == EmbeddedPostgresMigrations.all.map(\.checksum), "the build embeds migrations/postgres byte for byte")
        #expect(Self.versions == Array(1...Self.versions.count))
    }

    @Test func freshDatabase_migratesCleanly_andAgainIsANoOp() throws {
        try withDatabase { db, _ throws in
            let migrator = PostgresMigrator(migrations: EmbeddedPostgresMigrations.all)
            #expect(try migrator.status(db).pending == Self.versions)
            #expect(try migrator.migrate(db) == Self.versions)
            #expect(try migrator.migrate(db) == [])
            #expect(try migrator.status(db).isCurrent)
            let recorded = try db.read { try $0.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version") }
            #expect(recorded.map { $0.int("version").map(Int.init) } == Self.versions)
            #expect(recorded.map { $0.string("checksum") } == EmbeddedPostgresMigrations.all.map(\.checksum))
        }
    }

    @Test func concurrentNodes_migrateOnce() throws {
        let test = try TestDatabase.make()
        let nodes = try (0..<3).map { _ in try test.open(poolSize: 1, checkoutTimeoutMilliseconds: 30_000) }
        defer { for node in nodes { node.close() } }
        let applied = Mutex<[[Int]]>([])
        let failures = Mutex<[String]>([])
        runThreads(nodes.count) { index in
            do {
                let versions = try PostgresMigrator(migrations: EmbeddedPostgresMigrations.all).migrate(nodes[index])
                applied.withLock { $0.append(versions) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(applied.withLock { $0 }.flatMap { $0 }.sorted() == Self.versions)
    }

    /// The driver's refusals hold for the real migrations: a database from a newer binary, or one whose applied
    /// migration was edited, is refused before anything runs.
    @Test func newerOrEditedDatabase_isRefused() throws {
        try withDatabase { db, _ throws in
            let migrator = PostgresMigrator(migrations: EmbeddedPostgresMigrations.all)
            _ = try migrator.migrate(db)
            let next = Self.versions.count + 1
            try db.write {
                try $0.run("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, 'future', 'x', 0)", next)
            }
            #expect(throws: PostgresMigrationError.databaseNewer(databaseVersion: next, latestKnown: next - 1)) {
                try migrator.migrate(db)
            }
            try db.write {
                try $0.run("DELETE FROM schema_migrations WHERE version = $1", next)
                try $0.run("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
            }
            let first = EmbeddedPostgresMigrations.all[0]
            #expect(throws: PostgresMigrationError.checksumMismatch(version: 1, name: first.name)) {
                try migrator.migrate(db)
            }
        }
    }
}
