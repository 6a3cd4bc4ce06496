/// Storage of email change and revert links: the contract `EmailChangeStore` (FluxerPersistence) fulfils on SQLite and
/// PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol EmailChangeStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func insert(hash: [UInt8], userID: UInt64, purpose: EmailChangePurpose, email: String, now: Int64,
                     expiresAt: Int64, in db: Transaction) throws
    /// Spends a link of `purpose`: (user, address) when it was live; nil when unknown or expired (an expired
    /// one is spent all the same). The DELETE decides, so it works once under concurrency.
    static func consume(hash: [UInt8], purpose: EmailChangePurpose, now: Int64,
                     in db: Transaction) throws -> (userID: UInt64, email: String)?
    /// The user a live link belongs to, without spending it.
    static func owner(hash: [UInt8], purpose: EmailChangePurpose, now: Int64, in db: Transaction) throws -> UInt64?
    /// Deletes the user's links of `purpose` still out.
    static func delete(userID: UInt64, purpose: EmailChangePurpose, in db: Transaction) throws
    /// Whether a live revert link holds `email` for an account other than `userID`: the address an account lost
    /// to a change stays its own until the revert link expires, so whoever changed it cannot keep the owner
    /// from reverting by registering it elsewhere.
    static func isReserved(email: String, exceptUserID userID: UInt64?, now: Int64, in db: Transaction) throws -> Bool
}

/// What a link is for.
package enum EmailChangePurpose: String, Sendable {
    /// Proves the new address; spending it makes the change.
    case change = "email_change"
    /// Sent to the old address after a change; spending it restores that address.
    case revert = "email_revert"
}
