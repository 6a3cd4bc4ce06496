/// Storage of authorized networks and logins waiting for an emailed IP-authorization link: the contract
/// `IPAuthorizationStore` (FluxerPersistence) fulfils on SQLite and PostgreSQL alike. Every function runs inside the
/// caller's transaction (`in db:`) and does nothing but its statements: a PostgreSQL write may run again after a
/// serialization failure.
package protocol IPAuthorizationStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Whether `ipKey` is one of the user's authorized networks.
    static func isAuthorized(userID: UInt64, ipKey: [UInt8], in db: Transaction) throws -> Bool
    /// Records an authorized network (idempotent).
    static func authorize(userID: UInt64, ipKey: [UInt8], now: Int64, in db: Transaction) throws
    static func forgetAll(userID: UInt64, in db: Transaction) throws -> Int
    /// Stores a waiting login under the hashes of its ticket and of the emailed token.
    static func insertPending(ticketHash: [UInt8], tokenHash: [UInt8], userID: UInt64, ipKey: [UInt8],
                     clientIP: String, now: Int64, ticketExpiresAt: Int64, expiresAt: Int64, in db: Transaction) throws
    /// The waiting login of a ticket, with its user's email and name; nil when unknown.
    static func pending(ticketHash: [UInt8], in db: Transaction) throws -> PendingIPAuthorization?
    /// Spends a live emailed token: of two requests racing with one link (on any node) exactly one gets the
    /// approval. A login still waiting keeps its row `resultLifetime` more for the poll; otherwise the row is
    /// left expired for the sweep.
    static func approve(tokenHash: [UInt8], now: Int64, resultLifetime: Int64,
                     in db: Transaction) throws -> IPAuthorizationApproval?
    /// Takes an approved login's result: deletes the row and returns its user, once (the statement decides).
    static func claimResult(ticketHash: [UInt8], now: Int64, in db: Transaction) throws -> UInt64?
    /// The one resend: replaces the emailed token (the first link stops working) when the login still waits,
    /// has not been resent and was created at or before `createdNotAfter`; false when another request got there first.
    static func replaceToken(ticketHash: [UInt8], tokenHash: [UInt8], now: Int64, createdNotAfter: Int64,
                     expiresAt: Int64, in db: Transaction) throws -> Bool
    /// Deletes the user's logins waiting for IP authorization (a password set or changed, networks forgotten).
    static func deletePending(userID: UInt64, in db: Transaction) throws
}

/// A login waiting for (or just granted) IP authorization.
package struct PendingIPAuthorization: Equatable, Sendable {
    package var userID: UInt64
    package var email: String?
    package var username: String
    package var clientIP: String
    package var createdAt: Int64
    package var ticketExpiresAt: Int64
    package var resent: Bool
    package var authorizedAt: Int64?
    package var expiresAt: Int64

    /// The memberwise initializer, visible to the other targets of the package.
    package init(userID: UInt64, email: String? = nil, username: String, clientIP: String, createdAt: Int64, ticketExpiresAt: Int64, resent: Bool, authorizedAt: Int64? = nil, expiresAt: Int64) {
        self.userID = userID
        self.email = email
        self.username = username
        self.clientIP = clientIP
        self.createdAt = createdAt
        self.ticketExpiresAt = ticketExpiresAt
        self.resent = resent
        self.authorizedAt = authorizedAt
        self.expiresAt = expiresAt
    }
}

/// What a spent link authorized.
package struct IPAuthorizationApproval: Equatable, Sendable {
    package var userID: UInt64
    package var ipKey: [UInt8]
    /// Whether the login is still waiting: its poll may then collect a session for `resultLifetime`.
    package var isTicketLive: Bool

    /// The memberwise initializer, visible to the other targets of the package.
    package init(userID: UInt64, ipKey: [UInt8], isTicketLive: Bool) {
        self.userID = userID
        self.ipKey = ipKey
        self.isTicketLive = isTicketLive
    }
}
