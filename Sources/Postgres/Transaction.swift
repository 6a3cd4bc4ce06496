internal import CFluxerShim
#if canImport(Glibc)
import Glibc
#endif

/// One run of a closure transaction on one connection, and the policy for running it again.
enum Transaction {
    enum Outcome<T> {
        case committed(T)
        case failed(any Error, isRetryable: Bool)
    }

    /// Backoff before attempt n + 1: a random sleep up to 4 ms × 2^(n−1), at most 64 ms. The randomness ("full
    /// jitter") keeps two transactions that just conflicted from colliding again in lockstep.
    static let backoffBaseMicroseconds = 4_000
    /// The longest backoff.
    static let backoffCapMicroseconds = 64_000

    static func backOff(afterAttempt attempt: Int) {
        let ceiling = min(backoffCapMicroseconds, backoffBaseMicroseconds << min(attempt - 1, 16))
        usleep(UInt32(Int.random(in: 0...ceiling)))
    }

    /// `BEGIN`, the closure, `COMMIT`; rolls back on any failure and says whether running it again is safe and
    /// may help.
    static func run<T>(
        _ connection: PostgresConnection, begin: String, _ body: (PostgresConnection) throws -> T
    ) -> Outcome<T> {
        connection.sawRetryableFailure = false
        do {
            try connection.execute(begin)
        } catch {
            // Nothing ran yet: a connection that broke while idle is replaced, and the closure runs on the new one.
            return .failed(error, isRetryable: connection.isBroken)
        }
        let value: T
        do {
            value = try body(connection)
        } catch {
            // Retry only what a fresh transaction may cure: a conflict (seen by the connection, even when the
            // closure rethrew something else) or a connection that broke before COMMIT, so nothing committed.
            let isRetryable = connection.sawRetryableFailure || connection.isBroken
            rollBack(connection)
            return .failed(error, isRetryable: isRetryable)
        }
        if connection.transactionStatus == PQTRANS_INERROR {
            // A statement failed and the closure carried on. COMMIT would quietly roll back (PostgreSQL docs,
            // SQL command COMMIT), so say so instead of pretending the writes happened.
            let isRetryable = connection.sawRetryableFailure
            rollBack(connection)
            return .failed(
                PostgresError.invalidArgument(
                    "a statement failed inside the transaction and the closure returned normally; rolled back"),
                isRetryable: isRetryable)
        }
        do {
            try connection.execute("COMMIT")
        } catch {
            if connection.isBroken {
                return .failed(
                    PostgresError(
                        kind: .connectionLost, sqlState: error.sqlState,
                        message: "the connection broke during COMMIT; the transaction may or may not have committed"),
                    isRetryable: false)
            }
            // The server refused the commit (SERIALIZABLE found a conflict, a deferred constraint failed): it
            // rolled back.
            rollBack(connection)
            return .failed(error, isRetryable: error.isSerializationFailure)
        }
        return .committed(value)
    }

    /// `ROLLBACK` when a transaction is still open; a connection where that fails is closed by the pool.
    static func rollBack(_ connection: PostgresConnection) {
        guard !connection.isBroken, connection.transactionStatus != PQTRANS_IDLE else { return }
        try? connection.execute("ROLLBACK")
    }
}
