/// The isolation level of a `write` transaction (PostgreSQL docs §13.2 "Transaction Isolation").
public enum PostgresIsolationLevel: Sendable, Equatable {
    /// Each statement sees what was committed before it began. Race-free only with row locks
    /// (`SELECT … FOR UPDATE`) or conditional updates (`UPDATE … WHERE used = false`), which re-check the row
    /// after waiting for a concurrent writer (§13.2.1). Never fails with a serialization failure.
    case readCommitted
    /// One snapshot for the whole transaction; updating a row another transaction changed since the snapshot
    /// fails with 40001 (§13.2.2), and `write` runs the closure again.
    case repeatableRead
    /// As if transactions ran one at a time (§13.2.3): any read/write dependency cycle fails one of them with
    /// 40001, and `write` runs it again. This is the default for `write`, because it gives the same guarantee
    /// as SQLite's single writer: a store's read-check-write logic is correct on both backends without
    /// per-query locking.
    case serializable

    /// The statement that opens a transaction at this level.
    var begin: String {
        switch self {
        case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}
