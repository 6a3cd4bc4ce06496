/// Storage of emailed single-use tokens (verification, password reset): the contract `EmailTokenStore`
/// (FluxerPersistence) fulfils on SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in
/// db:`) and does nothing but its statements: a PostgreSQL write may run again after a serialization failure.
package protocol EmailTokenStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func insert(hash: [UInt8], userID: UInt64, purpose: String, email: String, now: Int64, expiresAt: Int64,
                     in db: Transaction) throws
    /// Spends a token of `purpose`: nil when unknown or expired (an expired one is spent all the same). Single
    /// use even under concurrency: the DELETE decides.
    static func consume(hash: [UInt8], purpose: String, now: Int64, in db: Transaction) throws -> RedeemedEmailToken?
    /// The user a live password-reset token belongs to, without spending it.
    static func passwordResetOwner(hash: [UInt8], now: Int64, in db: Transaction) throws -> UInt64?
    /// Deletes the user's verification links still out.
    static func deleteVerificationTokens(userID: UInt64, in db: Transaction) throws
    /// Deletes the user's password-reset links still out.
    static func deletePasswordResetTokens(userID: UInt64, in db: Transaction) throws
}

/// What a spent token was issued for.
package struct RedeemedEmailToken {
    package var userID: UInt64
    package var email: String

    /// The memberwise initializer, visible to the other targets of the package.
    package init(userID: UInt64, email: String) {
        self.userID = userID
        self.email = email
    }
}
