import Postgres
import SQLite

/// The database behind every store: the embedded SQLite file (one process writes, WAL readers) or a PostgreSQL
/// server shared by any number of nodes. Stores see only `SQLTransaction`s.
///
/// `write` closures may run more than once on PostgreSQL (a serialization failure or deadlock rolls the
/// transaction back and runs it again, see `PostgresDatabase`): a closure must do nothing outside the database
/// that cannot be repeated, and collect what it needs to do after commit in variables it resets on entry.
public final class DataStore: Sendable {
    enum Backend: Sendable {
        case sqlite(Database)
        case postgres(PostgresDatabase)
    }

    let backend: Backend

    /// Wraps an open SQLite database.
    public init(sqlite database: Database) {
        backend = .sqlite(database)
    }

    /// Opens (creating if needed) an SQLite file.
    public convenience init(sqlitePath path: String, readerCount: Int = 2, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.init(sqlite: try Database(path: path, readerCount: readerCount, busyTimeoutMilliseconds: busyTimeoutMilliseconds))
    }

    /// Wraps an open PostgreSQL pool.
    public init(postgres database: PostgresDatabase) {
        backend = .postgres(database)
    }

    /// The dialect of this store's backend.
    public var dialect: SQLDialect {
        switch backend {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The SQLite database, when that is the backend (backups, checkpoints, the schema migrator).
    public var sqlite: Database? {
        if case .sqlite(let database) = backend { return database }
        return nil
    }

    /// The PostgreSQL pool, when that is the backend.
    public var postgres: PostgresDatabase? {
        if case .postgres(let database) = backend { return database }
        return nil
    }

    /// A write transaction: SQLite's `BEGIN IMMEDIATE` on the single writer, or PostgreSQL SERIALIZABLE with
    /// retries. Commits when `body` returns, rolls back when it throws.
    ///
    /// `lockingRows: true` asks PostgreSQL for READ COMMITTED instead, for a store that makes its own statements
    /// race-free with row locks (`FOR UPDATE SKIP LOCKED`) or conditional updates and would otherwise lose
    /// serialization conflicts under contention (a queue claim, a lease). SQLite ignores it: its writer is
    /// always alone.
    @discardableResult
    public func write<T>(lockingRows: Bool = false, _ body: (SQLTransaction) throws -> T) throws -> T {
        switch backend {
        case .sqlite(let database):
            return try database.write { connection in try body(SQLTransaction(.sqlite(connection))) }
        case .postgres(let database):
            return try database.write(isolation: lockingRows ? .readCommitted : .serializable) { connection in
                try body(SQLTransaction(.postgres(connection)))
            }
        }
    }

    /// A read-only transaction: every query in `body` sees one snapshot.
    @discardableResult
    public func read<T>(_ body: (SQLTransaction) throws -> T) throws -> T {
        switch backend {
        case .sqlite(let database):
            return try database.read { connection in try body(SQLTransaction(.sqlite(connection))) }
        case .postgres(let database):
            return try database.read { connection in try body(SQLTransaction(.postgres(connection))) }
        }
    }

    /// Retries because the database was busy: SQLite's waits for a lock held by another connection or process,
    /// PostgreSQL's transactions run again after a serialization failure, a deadlock or a broken connection.
    public var busyRetries: UInt64 {
        switch backend {
        case .sqlite(let database): database.busyWaits
        case .postgres(let database): database.transactionRetries
        }
    }

    /// SQLite's group-commit counters (`Database.groupCommitCounts`); zero on PostgreSQL.
    public var groupCommitCounts: (batches: UInt64, writes: UInt64) {
        switch backend {
        case .sqlite(let database): database.groupCommitCounts
        case .postgres: (0, 0)
        }
    }

    /// SQLite's log syncs after commits (`Database.logSyncCounts`); zero on PostgreSQL, which syncs its own.
    public var logSyncs: UInt64 {
        switch backend {
        case .sqlite(let database): database.logSyncCounts.syncs
        case .postgres: 0
        }
    }

    /// Truncates SQLite's write-ahead log (a clean shutdown); nothing to do on PostgreSQL.
    public func checkpoint() throws {
        if case .sqlite(let database) = backend { try database.checkpoint() }
    }

    /// Closes every connection. Idempotent.
    public func close() {
        switch backend {
        case .sqlite(let database): database.close()
        case .postgres(let database): database.close()
        }
    }

    /// Whether an error means "the database cannot answer now, try again shortly" rather than a bug: SQLite's
    /// lock held past the busy timeout, a full disk or an I/O error; PostgreSQL down, unreachable, out of pooled
    /// connections, or still losing serialization conflicts after the retries. Routes answer these with 503 and
    /// `Retry-After`.
    public static func isUnavailable(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return error.isUnavailable }
        if error is DatabaseError { return true }
        if let error = error as? PostgresError { return error.isUnavailable }
        return false
    }
}
