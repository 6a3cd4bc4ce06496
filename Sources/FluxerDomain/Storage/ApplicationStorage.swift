import FluxerCrypto

/// Storage of applications, their bots, client secrets and bot tokens: the contract `ApplicationStore`
/// (FluxerPersistence) fulfils on SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in
/// db:`) and does nothing but its statements: a PostgreSQL write may run again after a serialization failure.
package protocol ApplicationStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func find(id: UInt64, in db: Transaction) throws -> Application?
    static func list(ownerID: UInt64, in db: Transaction) throws -> [Application]
    /// Every application by ascending id, after `afterID` when given; at most `limit`.
    static func list(afterID: UInt64?, limit: Int, in db: Transaction) throws -> [Application]
    /// How many applications a user owns.
    static func count(ownerID: UInt64, in db: Transaction) throws -> Int64
    /// The id of the user's application called `name` (the seed command's idempotence).
    static func id(ownerID: UInt64, name: String, in db: Transaction) throws -> UInt64?
    /// Makes the application a public client: no usable secret, PKCE required (RFC 7636, RFC 9700 §2.1.1).
    static func markPublicClient(id: UInt64, in db: Transaction) throws
    /// Creates the bot user (same id) and the application, with a fresh client secret and bot token.
    static func create(id: UInt64, ownerID: UInt64, name: String, redirectURIs: [String], botPublic: Bool,
                     botRequireCodeGrant: Bool, keys: BotTokenKeyRing, now: Int64,
                     in db: Transaction) throws -> CreatedApplication
    static func update(_ app: Application, in db: Transaction) throws
    /// Deletes the bot user; the application row (and everything hanging off it) goes with it by cascade.
    static func delete(id: UInt64, in db: Transaction) throws
    /// Replaces the client secret; returns the new one.
    static func resetClientSecret(id: UInt64, now: Int64, in db: Transaction) throws -> String
    /// Replaces the bot token (the old one stops matching the stored hash at commit); returns the new one.
    /// Stores `secret` (its hash) as the client secret: a seed file's fixed secret, or a new one.
    static func setClientSecret(id: UInt64, secret: String, now: Int64, in db: Transaction) throws
    static func resetBotToken(id: UInt64, keys: BotTokenKeyRing, now: Int64, in db: Transaction) throws -> String
    /// The bot behind a verified token (`botID` from its signature): the stored hash must equal the token's
    /// SHA-256 (constant time).
    /// Stores `token` (its hash and preview) as the bot token: a seed file's fixed token (already verified
    /// against the key ring), or a new one.
    static func setBotToken(id: UInt64, token: String, now: Int64, in db: Transaction) throws
    static func botForToken(hash: [UInt8], botID: UInt64, in db: Transaction) throws -> (Application, User)?
}

package struct CreatedApplication {
    package var application: Application
    package var bot: User
    package var clientSecret: String
    package var botToken: String

    /// The memberwise initializer, visible to the other targets of the package.
    package init(application: Application, bot: User, clientSecret: String, botToken: String) {
        self.application = application
        self.bot = bot
        self.clientSecret = clientSecret
        self.botToken = botToken
    }
}
