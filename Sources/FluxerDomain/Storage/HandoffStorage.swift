/// Storage of desktop hand-over codes: the contract `HandoffStore` (FluxerPersistence) fulfils on SQLite and PostgreSQL
/// alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its statements: a
/// PostgreSQL write may run again after a serialization failure.
package protocol HandoffStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Stores a new pending code for `clientKey`; false when the hash is taken (the caller draws another code).
    static func create(codeHash: [UInt8], clientKey: String, now: Int64, expiresAt: Int64,
                     in db: Transaction) throws -> Bool
    /// The state of a code as `clientKey` may see it; another client's code is `gone`.
    static func state(codeHash: [UInt8], clientKey: String?, now: Int64, in db: Transaction) throws -> HandoffState
    /// Completes a pending, unexpired code with the browser session that vouches for the hand-over; false when
    /// the code is not pending (unknown, expired, already completed): the UPDATE decides, so a code is
    /// completed once even when two browsers race.
    static func complete(codeHash: [UInt8], sessionHash: [UInt8], now: Int64, in db: Transaction) throws -> Bool
    /// Spends a completed, unexpired code of `clientKey` and returns the session that completed it; nil when
    /// there is nothing to pick up. The DELETE decides: one poll gets it, every later one finds nothing.
    static func pickUp(codeHash: [UInt8], clientKey: String, now: Int64, in db: Transaction) throws -> [UInt8]?
    static func cancel(codeHash: [UInt8], clientKey: String, in db: Transaction) throws -> Bool
}

/// Where a code stands for the client asking.
package enum HandoffState: Equatable {
    /// Waiting for a browser to complete it.
    case pending
    /// Completed: the desktop may pick it up.
    case completed
    /// Past its lifetime, spent, cancelled, never issued, or issued to another client.
    case gone
    /// Issued, but past its lifetime (only `complete` tells this apart from `gone`).
    case expired
}
