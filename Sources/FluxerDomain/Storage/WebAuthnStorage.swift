/// Storage of WebAuthn credentials and challenges: the contract `WebAuthnStore` (FluxerPersistence) fulfils on SQLite
/// and PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol WebAuthnStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Deletes challenges that have expired.
    static func deleteExpiredChallenges(now: Int64, in db: Transaction) throws
    /// Stores a challenge for a signed-in user (`register`, `sudo`) or for an MFA login ticket (`login`).
    static func insertChallenge(hash: [UInt8], userID: UInt64, purpose: String, ticketHash: [UInt8]?,
                     expiresAt: Int64, in db: Transaction) throws
    /// Spends the user's challenge for `purpose`; nil when unknown, foreign or expired (an expired one is spent
    /// all the same).
    static func consumeChallenge(hash: [UInt8], purpose: String, userID: UInt64, now: Int64,
                     in db: Transaction) throws -> SpentWebAuthnChallenge?
    /// Outstanding challenges issued to one client (IPv4 address, IPv6 /64).
    static func pendingChallenges(clientKey: String, now: Int64, in db: Transaction) throws -> Int64
    /// Outstanding passkey (usernameless) challenges, all clients together.
    static func pendingPasskeyChallenges(now: Int64, in db: Transaction) throws -> Int64
    /// Stores a passkey challenge: no user yet, counted against `clientKey`.
    static func insertPasskeyChallenge(hash: [UInt8], expiresAt: Int64, clientKey: String, in db: Transaction) throws
    /// Spends a passkey challenge; false when unknown or expired (an expired one is spent all the same).
    static func consumePasskeyChallenge(hash: [UInt8], now: Int64, in db: Transaction) throws -> Bool
    /// The ids of the user's credentials, oldest first (`allowCredentials`, `excludeCredentials`).
    static func credentialIDs(userID: UInt64, in db: Transaction) throws -> [[UInt8]]
    /// Whether a credential id is registered to anyone (WebAuthn §7.1 step 22).
    static func credentialExists(id: [UInt8], in db: Transaction) throws -> Bool
    static func insertCredential(_ credential: RegisteredCredential, userID: UInt64, name: String, now: Int64,
                     in db: Transaction) throws
    /// The user's credentials, oldest first.
    static func credentials(userID: UInt64, in db: Transaction) throws -> [WebAuthnCredentialSummary]
    /// Renames one of the user's credentials; false when the user has no such credential.
    static func rename(credentialID: [UInt8], userID: UInt64, name: String, in db: Transaction) throws -> Bool
    /// Deletes one of the user's credentials; false when the user has no such credential.
    static func delete(credentialID: [UInt8], userID: UInt64, in db: Transaction) throws -> Bool
    /// The stored key of the user's credential `credentialID`.
    static func storedKey(credentialID: [UInt8], userID: UInt64, in db: Transaction) throws -> StoredWebAuthnKey?
    /// The owner of a credential (usernameless sign-in: the credential names the account).
    static func owner(credentialID: [UInt8], in db: Transaction) throws -> UInt64?
    /// Flags a credential whose sign count did not move forward (WA-12).
    static func recordPossibleClone(credentialID: [UInt8], now: Int64, in db: Transaction) throws
    /// Records an accepted assertion: the new sign count, the time, and BE when it was not known yet.
    static func recordUse(credentialID: [UInt8], signCount: UInt32, backupEligible: Bool?, now: Int64,
                     in db: Transaction) throws
}

/// A challenge spent by `consumeChallenge`.
package struct SpentWebAuthnChallenge {
    /// The MFA login ticket it was issued for, if any.
    package var ticketHash: [UInt8]?

    /// The memberwise initializer, visible to the other targets of the package.
    package init(ticketHash: [UInt8]? = nil) {
        self.ticketHash = ticketHash
    }
}

/// A credential as the management API lists it.
package struct WebAuthnCredentialSummary {
    package var id: [UInt8]
    package var name: String
    package var createdAt: Int64
    package var lastUsedAt: Int64?

    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: [UInt8], name: String, createdAt: Int64, lastUsedAt: Int64? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// What an assertion is verified against (WebAuthn §7.2 steps 5, 21, 22).
package struct StoredWebAuthnKey {
    /// The COSE public key, CBOR-encoded.
    package var publicKey: [UInt8]
    package var signCount: UInt32
    /// BE at registration; nil for credentials registered before it was stored.
    package var backupEligible: Bool?

    /// The memberwise initializer, visible to the other targets of the package.
    package init(publicKey: [UInt8], signCount: UInt32, backupEligible: Bool? = nil) {
        self.publicKey = publicKey
        self.signCount = signCount
        self.backupEligible = backupEligible
    }
}
