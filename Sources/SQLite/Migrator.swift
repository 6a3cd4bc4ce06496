internal import CFluxerShim

/// Applies migrations to a `Database`, recording each in `schema_migrations`.
public struct Migrator: Sendable {
    /// The known migrations, sorted by version.
    public let migrations: [Migration]

    /// Creates a migrator; the migrations are validated (1, 2, 3, …) by `migrate`.
    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    private var latestKnown: Int { migrations.last?.version ?? 0 }

    /// Applies every pending migration in order, each in its own write transaction together with
    /// its bookkeeping row, and returns the versions applied now.
    ///
    /// - Throws: `MigrationError.databaseNewer` or `.checksumMismatch` before applying anything;
    ///   `.failed` when a migration's SQL fails (earlier migrations stay applied); validation errors
    ///   for duplicate or missing versions; `DatabaseError`/`SQLiteError` for other failures.
    public func migrate(_ db: Database) throws -> [Int] {
        try Migration.validate(migrations)
        try db.write { connection in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    applied_at INTEGER NOT NULL
                )
                """)
            try verify(connection)
        }
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try db.write { connection -> Bool in
                let existing = try connection.queryOne(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", migration.version)
                guard existing == nil else { return false }
                do throws(SQLiteError) {
                    try connection.execute(migration.sql)
                } catch {
                    throw MigrationError.failed(version: migration.version, name: migration.name, error: error)
                }
                try connection.run(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    migration.version, migration.name, migration.checksum, fx_wall_ms())
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }

    /// Reports the applied and pending versions without changing anything.
    public func status(_ db: Database) throws -> MigrationStatus {
        let recorded = try db.read { connection -> [Int] in
            let table = try connection.queryOne(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", "schema_migrations")
            guard table != nil else { return [] }
            return try connection.query("SELECT version FROM schema_migrations ORDER BY version")
                .compactMap { $0.int("version").map(Int.init) }
        }
        let applied = Set(recorded)
        return MigrationStatus(
            currentVersion: recorded.last ?? 0,
            latestKnownVersion: latestKnown,
            pending: migrations.map(\.version).filter { !applied.contains($0) })
    }

    /// Refuses a database that is newer than this binary or whose applied migrations were edited.
    private func verify(_ connection: Connection) throws {
        let rows = try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        if let newest = rows.last?.int("version"), Int(newest) > latestKnown {
            throw MigrationError.databaseNewer(databaseVersion: Int(newest), latestKnown: latestKnown)
        }
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for row in rows {
            guard let version = row.int("version").map(Int.init), let known = byVersion[version] else { continue }
            if row.string("checksum") != known.checksum {
                throw MigrationError.checksumMismatch(version: version, name: known.name)
            }
        }
    }
}
