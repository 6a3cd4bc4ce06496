/// Storage of the bot-token HMAC keys added by `fluxer-auth keys rotate` and of key retirements: the contract
/// `BotTokenKeyStore` (FluxerPersistence) fulfils on SQLite and PostgreSQL alike. Every function runs inside the
/// caller's transaction (`in db:`) and does nothing but its statements: a PostgreSQL write may run again after a
/// serialization failure.
package protocol BotTokenKeyStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Every row, retired ones included, by key id.
    static func all(in db: Transaction) throws -> [BotTokenKeyRow]
    /// Stores a row under its key id, replacing a row with that id (a retired key whose id is reused, or the
    /// retirement of a configured key).
    static func upsert(_ row: BotTokenKeyRow, in db: Transaction) throws
    /// Retires a database key: it stops verifying and its sealed secret is dropped. False when no unretired
    /// database key has that id.
    static func retire(kid: UInt8, now: Int64, in db: Transaction) throws -> Bool
}

/// One row of `bot_token_keys`.
package struct BotTokenKeyRow: Sendable, Equatable {
    /// Where the key lives.
    package enum Source: String, Sendable {
        /// In `security.bot_token_keys` (or derived from the secret): a row only records its retirement.
        case config
        /// In this table, sealed with the server secret.
        case database
    }

    package var kid: UInt8
    package var source: Source
    /// The key's secret sealed with the server secret; nil for a retired key and for a configured key's row.
    package var secretSealed: [UInt8]?
    /// `BotTokenKeySet.fingerprint` of the key's secret.
    package var fingerprint: [UInt8]
    package var createdAt: Int64
    package var retiredAt: Int64?

    /// The memberwise initializer, visible to the other targets of the package.
    package init(kid: UInt8, source: Source, secretSealed: [UInt8]?, fingerprint: [UInt8], createdAt: Int64, retiredAt: Int64?) {
        self.kid = kid
        self.source = source
        self.secretSealed = secretSealed
        self.fingerprint = fingerprint
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}
