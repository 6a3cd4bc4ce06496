/// Storage of OAuth2 codes, token families, tokens and authorizations: the contract `OAuthStore` (FluxerPersistence)
/// fulfils on SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does
/// nothing but its statements: a PostgreSQL write may run again after a serialization failure.
package protocol OAuthStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func insertCode(_ code: String, applicationID: UInt64, userID: UInt64, redirectURI: String,
                     redirectGiven: Bool, scopes: [OAuthScope], challenge: String?, now: Int64,
                     in db: Transaction) throws
    static func findCode(_ code: String, in db: Transaction) throws -> OAuthCodeRecord?
    /// Marks a code used; false when another request got there first (single use under concurrency, AC-02).
    static func markCodeUsed(_ code: String, familyID: Int64?, now: Int64, in db: Transaction) throws -> Bool
    /// Records the family a redeemed code started, so a replay of the code can revoke it (AC-01).
    static func attachFamily(_ familyID: Int64, toCode code: String, in db: Transaction) throws
    static func createFamily(id: Int64, applicationID: UInt64, userID: UInt64, scopes: [OAuthScope], now: Int64,
                     in db: Transaction) throws
    /// Issues an access and a refresh token in a family; neither outlives `grantEndsAt` (RT-06).
    static func issue(familyID: Int64, applicationID: UInt64, userID: UInt64, scopes: [OAuthScope],
                     grantEndsAt: Int64, now: Int64, in db: Transaction) throws -> IssuedTokens
    static func findToken(_ token: String, in db: Transaction) throws -> OAuthTokenRecord?
    /// The token stored under `hash` (SHA-256 of a well-formed token), with its family's state.
    static func findToken(hash: [UInt8], in db: Transaction) throws -> OAuthTokenRecord?
    /// Marks a refresh token rotated; false when it already was (concurrent refresh, RT-03).
    static func markRefreshUsed(_ hash: [UInt8], now: Int64, in db: Transaction) throws -> Bool
    static func revokeFamily(_ familyID: Int64, reason: String, now: Int64, in db: Transaction) throws -> UInt64?
    /// Revokes every family of a user for an application.
    static func revokeAll(applicationID: UInt64, userID: UInt64, reason: String, now: Int64, in db: Transaction) throws
    /// Revokes every grant of a user, across applications (password reset: RFC 9700 §4.14.2, RT-07), and
    /// deletes the authorization codes not yet redeemed: one issued before the reset would otherwise start a
    /// new grant after it. Redeemed codes stay (a replay still revokes what they started).
    static func revokeAll(userID: UInt64, reason: String, now: Int64, in db: Transaction) throws
    /// Deletes a family's access tokens (superseded by a refresh); returns their hashes, which the caches must forget.
    static func deleteAccessTokens(familyID: Int64, in db: Transaction) throws -> [[UInt8]]
    static func deleteToken(_ hash: [UInt8], in db: Transaction) throws
    /// Records consent (scopes accumulate).
    static func recordAuthorization(applicationID: UInt64, userID: UInt64, scopes: [OAuthScope], now: Int64,
                     in db: Transaction) throws
    /// A user's consents, most recent first.
    static func authorizations(userID: UInt64, in db: Transaction) throws -> [OAuthAuthorization]
    /// Forgets a user's consent for an application.
    static func deleteAuthorization(applicationID: UInt64, userID: UInt64, in db: Transaction) throws
    /// Deletes the codes an application holds for a user that were never redeemed.
    static func deleteUnusedCodes(applicationID: UInt64, userID: UInt64, in db: Transaction) throws
    static func authorization(applicationID: UInt64, userID: UInt64, in db: Transaction) throws -> [OAuthScope]?
}
