import Synchronization
/// A pool of connections to one PostgreSQL database, with closure transactions.
///
/// Every call blocks its thread (libpq is synchronous): call from worker threads, never from an async task on
/// Swift concurrency's cooperative pool.
///
/// Transactions:
/// - `write` runs its closure in a SERIALIZABLE transaction by default (see `PostgresIsolationLevel` for why),
///   commits when it returns and rolls back when it throws. A serialization failure (40001) or deadlock (40P01)
///   anywhere in it, `COMMIT` included, rolls back and runs the closure again on a fresh transaction, up to
///   `maxTransactionAttempts` runs with a short random backoff between them. **The closure may therefore run
///   more than once:** it must do nothing outside the database that cannot be repeated.
/// - `read` runs its closure in a REPEATABLE READ, READ ONLY transaction: one snapshot for all its queries, as
///   SQLite's `read` gives, and never a serialization failure.
/// - A connection that was found broken before `COMMIT` was sent (a terminated backend, a restarted server)
///   is discarded and the closure runs again on a new one; nothing of the failed run was committed. A
///   connection lost *during* `COMMIT` is reported as `.connectionLost`, never retried: the outcome is unknown.
/// - Unlike SQLite, PostgreSQL aborts the whole transaction when one statement fails. Catching a statement's
///   error and carrying on needs `PostgresConnection.savepoint`; a closure that swallows an error and returns
///   gets its transaction rolled back and an error.
public final class PostgresDatabase: Sendable {
    /// How this database connects and pools.
    public let configuration: PostgresConfiguration
    private let pool: ConnectionPool
    private let retries = Atomic<UInt64>(0)

    /// Transactions run again after a serialization failure, a deadlock or a broken connection.
    public var transactionRetries: UInt64 { retries.load(ordering: .relaxed) }

    /// Creates the pool and opens its first connection at once, so a bad address, a refused login or a server
    /// that is down is reported here rather than on the first request.
    ///
    /// - Throws: `PostgresError` of kind `.connectionFailed` (with the password cut out of libpq's message).
    public init(configuration: PostgresConfiguration) throws(PostgresError) {
        self.configuration = configuration
        self.pool = ConnectionPool(configuration: configuration)
        pool.checkin(try pool.checkout())
    }

    deinit { pool.close() }

    /// Runs `body` in a transaction at `isolation` (SERIALIZABLE by default); commits when it returns, rolls
    /// back when it throws. Retries serialization failures and deadlocks; see the type's documentation.
    ///
    /// - Throws: whatever `body` throws, or `PostgresError` (`.unavailable` when no connection frees up within
    ///   the checkout timeout; `isSerializationFailure` when the retries ran out).
    @discardableResult
    public func write<T>(
        isolation: PostgresIsolationLevel = .serializable, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        try transaction(begin: isolation.begin, body)
    }

    /// Runs `body` in a REPEATABLE READ, READ ONLY transaction: all its queries see one snapshot. Like `write`,
    /// it runs `body` again on a fresh connection when the connection broke before it finished.
    @discardableResult
    public func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// Runs `body` on a connection outside any transaction, for session-level work (advisory locks held across
    /// several transactions). The connection goes back to the pool afterwards, so `body` must leave no
    /// transaction open and no session state behind that other users would trip over. (`package`: the test
    /// clusters run `CREATE DATABASE` through it, which refuses to run in a transaction.)
    package func withSession<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let box = try pool.checkout()
        defer { pool.checkin(box) }
        return try body(box.connection)
    }

    /// Closes every connection, waiting for those in use to come back. Idempotent; later `read`/`write` calls
    /// throw `.closed`. Must not be called inside `read`/`write`.
    public func close() {
        pool.close()
    }

    private func transaction<T>(begin: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            let box = try pool.checkout()
            let outcome = Transaction.run(box.connection, begin: begin, body)
            pool.checkin(box)
            switch outcome {
            case .committed(let value):
                return value
            case .failed(let error, let isRetryable):
                guard isRetryable, attempt < configuration.maxTransactionAttempts else { throw error }
                retries.wrappingAdd(1, ordering: .relaxed)
                Transaction.backOff(afterAttempt: attempt)
                attempt += 1
            }
        }
    }
}
