@testable import FluxerAPI
@testable import FluxerApp
import Glibc
import Postgres
import PostgresTestSupport
import SQLite
import FluxerPersistence

/// A SQLite database in a temporary directory, migrated with the binary's embedded SQLite migrations.
/// `close()` it (in a `defer`) when done.
struct MigratedSQLite {
    let directory: String
    let database: Database

    init() throws {
        var template = Array("/tmp/fluxer-schema-test-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw HelperError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: created)
        database = try Database(path: directory + "/schema.sqlite", readerCount: 1)
        _ = try Migrator(migrations: EmbeddedMigrations.all).migrate(database)
    }

    func close() {
        database.close()
        removeTree(directory)
    }
}

/// A fresh PostgreSQL database on the shared test cluster, migrated with the embedded PostgreSQL migrations.
/// `close()` it (in a `defer`) when done.
struct MigratedPostgres {
    let test: TestDatabase
    let database: PostgresDatabase

    init() throws {
        test = try TestDatabase.make()
        database = try test.open()
        _ = try PostgresMigrator(migrations: EmbeddedPostgresMigrations.all).migrate(database)
    }

    func close() { database.close() }
}

/// The repository root, found from this file's path (Tests/PostgresSchemaTests/Support/…).
let repositoryRoot = "/" + #filePath.split(separator: "/").dropLast(4).joined(separator: "/")
