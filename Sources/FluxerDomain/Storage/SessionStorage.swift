/// Storage of user sessions: the contract `SessionStore` (FluxerPersistence) fulfils on SQLite and PostgreSQL alike.
/// Every function runs inside the caller's transaction (`in db:`) and does nothing but its statements: a PostgreSQL
/// write may run again after a serialization failure.
package protocol SessionStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Creates a session and returns its token (shown once; only its hash is stored). Throws
    /// `SessionRefusal.accountDisabled` for an account an operator disabled.
    static func create(userID: UInt64, ip: String?, userAgent: String?, isDesktop: Bool, now: Int64,
                     in db: Transaction) throws -> String
    /// The session and its user for a token hash: one indexed lookup.
    static func lookup(hash: [UInt8], in db: Transaction) throws -> (SessionRecord, User)?
    /// When the session was created; nil when it no longer exists.
    static func createdAt(hash: [UInt8], in db: Transaction) throws -> Int64?
    /// A user's sessions, most recently used first.
    static func list(userID: UInt64, in db: Transaction) throws -> [SessionRecord]
    static func revoke(hash: [UInt8], in db: Transaction) throws -> Bool
    /// Deletes those of `hashes` that belong to `userID` (others' sessions are never touched).
    static func revoke(hashes: [[UInt8]], ofUser userID: UInt64, in db: Transaction) throws -> Int
    static func revokeAll(userID: UInt64, in db: Transaction) throws -> Int
    /// Records use times (batched by `SessionTouchQueue`); never moves a time backwards.
    static func touch(_ touches: [([UInt8], Int64)], in db: Transaction) throws
    /// Deletes every session of a user but one (the caller's, after a password change: SE-09).
    static func revokeAll(userID: UInt64, except kept: [UInt8], in db: Transaction) throws -> Int
}

/// Why no session was made.
package enum SessionRefusal: Error, Equatable {
    /// An operator disabled the account (`fluxer-auth user disable`).
    case accountDisabled
}
