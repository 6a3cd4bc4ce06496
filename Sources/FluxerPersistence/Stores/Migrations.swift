import Postgres
import SQLite

/// The schema migrations this binary applies: built in (from `migrations/` at build time), or read from
/// `database.migrations_dir` when an operator points there.
package enum Migrations {
    /// The SQLite migrations: the built-in ones when `directory` is empty, else the files there.
    package static func load(directory: String) throws(MigrationsLoadError) -> [Migration] {
        guard !directory.isEmpty else { return EmbeddedMigrations.all }
        do {
            return try Migration.load(directory: directory)
        } catch {
            throw MigrationsLoadError(message: error.description)
        }
    }
}

/// `database.migrations_dir` could not be read (one line for the operator).
package struct MigrationsLoadError: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// Where the schema stands, on either backend (for `/readyz`).
public struct SchemaStatus: Sendable, Equatable {
    public let currentVersion: Int
    public let latestKnownVersion: Int
    public var isCurrent: Bool { currentVersion >= latestKnownVersion }
}

/// The migrator of the configured backend: SQLite's numbered files (`migrations/`) or PostgreSQL's
/// (`migrations/postgres/`, applied under an advisory lock so nodes starting together migrate once).
public struct SchemaMigrator: Sendable {
    package enum Kind: Sendable {
        case sqlite(Migrator)
        case postgres(PostgresMigrator)
    }

    package let kind: Kind

    /// PostgreSQL's built-in migrations, or SQLite's (built in, or from `migrationsDirectory` when set).
    package init(postgres: Bool, migrationsDirectory: String) throws(MigrationsLoadError) {
        if postgres {
            kind = .postgres(PostgresMigrator(migrations: EmbeddedPostgresMigrations.all))
        } else {
            kind = .sqlite(Migrator(migrations: try Migrations.load(directory: migrationsDirectory)))
        }
    }

    /// Applies pending migrations; returns the versions applied now.
    package func migrate(_ store: DataStore) throws -> [Int] {
        switch kind {
        case .sqlite(let migrator): try migrator.migrate(store.sqlite!)
        case .postgres(let migrator): try migrator.migrate(store.postgres!)
        }
    }

    package func status(_ store: DataStore) throws -> SchemaStatus {
        switch kind {
        case .sqlite(let migrator):
            let status = try migrator.status(store.sqlite!)
            return SchemaStatus(currentVersion: status.currentVersion, latestKnownVersion: status.latestKnownVersion)
        case .postgres(let migrator):
            let status = try migrator.status(store.postgres!)
            return SchemaStatus(currentVersion: status.currentVersion, latestKnownVersion: status.latestKnownVersion)
        }
    }
}
