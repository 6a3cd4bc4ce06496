internal import CFluxerShim

/// Applies migrations to a `PostgresDatabase`, recording each in `schema_migrations`.
///
/// Several nodes may start at once against one database: the whole run holds a session-level advisory lock
/// (`pg_advisory_lock`, PostgreSQL docs §9.27.10 and §13.3.5), so one node migrates while the others wait, then
/// find nothing pending. If the migrating node dies, its session ends and the server releases the lock.
public struct PostgresMigrator: Sendable {
    /// The known migrations, sorted by version.
    public let migrations: [PostgresMigration]
    /// The advisory lock key. Every process migrating one database must use the same key; other users of
    /// advisory locks on that database must avoid it.
    public let lockKey: Int64

    /// The default lock key: the ASCII bytes of "migrate!" (0x6d69677261746521).
    public static let defaultLockKey: Int64 = 0x6d69_6772_6174_6521

    /// Creates a migrator; the migrations are validated (1, 2, 3, …) by `migrate`.
    public init(migrations: [PostgresMigration], lockKey: Int64 = PostgresMigrator.defaultLockKey) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.lockKey = lockKey
    }

    private var latestKnown: Int { migrations.last?.version ?? 0 }

    /// Applies every pending migration in order, each in its own transaction together with its bookkeeping
    /// row, and returns the versions applied now (empty when another node got there first).
    ///
    /// Blocks while another process holds the migration lock.
    ///
    /// - Throws: `PostgresMigrationError.databaseNewer` or `.checksumMismatch` before applying anything;
    ///   `.failed` when a migration's SQL fails (earlier migrations stay applied); validation errors for
    ///   duplicate or missing versions; `PostgresError` for other failures.
    public func migrate(_ db: PostgresDatabase) throws -> [Int] {
        try PostgresMigration.validate(migrations)
        return try db.withSession { session in
            try session.run("SELECT pg_advisory_lock($1)", lockKey)
            // If the connection broke, the server has already released the lock with the session.
            defer { _ = try? session.run("SELECT pg_advisory_unlock($1)", lockKey) }
            return try migrateHoldingLock(session)
        }
    }

    private func migrateHoldingLock(_ session: PostgresConnection) throws -> [Int] {
        try transaction(session) { connection in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version bigint PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at bigint NOT NULL
                )
                """)
            try verify(connection)
        }
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try transaction(session) { connection -> Bool in
                let existing = try connection.queryOne(
                    "SELECT 1 FROM schema_migrations WHERE version = $1", migration.version)
                guard existing == nil else { return false }
                do throws(PostgresError) {
                    try connection.execute(migration.sql)
                } catch {
                    throw PostgresMigrationError.failed(version: migration.version, name: migration.name, error: error)
                }
                try connection.run(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                    migration.version, migration.name, migration.checksum, fx_wall_ms())
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }

    /// Reports the applied and pending versions without changing anything.
    public func status(_ db: PostgresDatabase) throws -> PostgresMigrationStatus {
        let recorded = try db.read { connection -> [Int] in
            let table = try connection.queryOne("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
            guard table?.bool("present") == true else { return [] }
            return try connection.query("SELECT version FROM schema_migrations ORDER BY version")
                .compactMap { $0.int("version").map(Int.init) }
        }
        let applied = Set(recorded)
        return PostgresMigrationStatus(
            currentVersion: recorded.last ?? 0,
            latestKnownVersion: latestKnown,
            pending: migrations.map(\.version).filter { !applied.contains($0) })
    }

    /// Refuses a database that is newer than this binary or whose applied migrations were edited.
    private func verify(_ connection: PostgresConnection) throws {
        let rows = try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        if let newest = rows.last?.int("version"), Int(newest) > latestKnown {
            throw PostgresMigrationError.databaseNewer(databaseVersion: Int(newest), latestKnown: latestKnown)
        }
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for row in rows {
            guard let version = row.int("version").map(Int.init), let known = byVersion[version] else { continue }
            if row.string("checksum") != known.checksum {
                throw PostgresMigrationError.checksumMismatch(version: version, name: known.name)
            }
        }
    }

    /// One READ COMMITTED transaction on the locked session; the lock already keeps other migrators out, and
    /// nothing here is retried (a migration must not run twice).
    private func transaction<T>(_ session: PostgresConnection, _ body: (PostgresConnection) throws -> T) throws -> T {
        switch Transaction.run(session, begin: PostgresIsolationLevel.readCommitted.begin, body) {
        case .committed(let value): return value
        case .failed(let error, _): throw error
        }
    }
}
