import FluxerPersistence
import Postgres
import SQLite

/// The schema migrations this binary applies: built in (from `migrations/` at build time), or read from
/// `database.migrations_dir` when an operator points there.
enum Migrations {
    static func load(_ config: Config) throws(StartupError) -> [Migration] {
        guard !config.migrationsDirectory.isEmpty else { return EmbeddedMigrations.all }
        do {
            return try Migration.load(directory: config.migrationsDirectory)
        } catch {
            throw .database(error.description)
        }
    }
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
    enum Kind: Sendable {
        case sqlite(Migrator)
        case postgres(PostgresMigrator)
    }

    let kind: Kind

    init(config: Config) throws(StartupError) {
        if config.databaseURL != nil {
            kind = .postgres(PostgresMigrator(migrations: EmbeddedPostgresMigrations.all))
        } else {
            kind = .sqlite(Migrator(migrations: try Migrations.load(config)))
        }
    }

    /// Applies pending migrations; returns the versions applied now.
    func migrate(_ store: DataStore) throws -> [Int] {
        switch kind {
        case .sqlite(let migrator): try migrator.migrate(store.sqlite!)
        case .postgres(let migrator): try migrator.migrate(store.postgres!)
        }
    }

    func status(_ store: DataStore) throws -> SchemaStatus {
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
