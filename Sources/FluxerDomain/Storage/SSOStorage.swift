/// Storage of SSO states, linked identities, completion codes and AT Protocol client keys: the contract `SSOStore`
/// (FluxerPersistence) fulfils on SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in
/// db:`) and does nothing but its statements: a PostgreSQL write may run again after a serialization failure.
package protocol SSOStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Deletes sign-ins whose state has expired.
    static func deleteExpiredStates(now: Int64, in db: Transaction) throws
    /// Sign-ins in progress started by one client (IPv4 address, IPv6 /64).
    static func pendingStates(clientKey: String, in db: Transaction) throws -> Int64
    /// Sign-ins in progress, all clients together.
    static func pendingStates(in db: Transaction) throws -> Int64
    /// Stores a sign-in under SHA-256 of its state, counted against `clientKey`.
    static func insertState(_ state: SSOStateRecord, stateHash: [UInt8], clientKey: String, in db: Transaction) throws
    /// Spends a sign-in: only the channel that started it (the same browser binding, or none) can. Expired
    /// states are spent and returned too; the caller checks `expiresAt`.
    static func spendState(stateHash: [UInt8], browserBinding: [UInt8]?, in db: Transaction) throws -> SSOStateRecord?
    /// What a sign-in in progress is for (`connection` or nil), without spending it; nil too when there is none.
    static func statePurpose(stateHash: [UInt8], in db: Transaction) throws -> String?
    /// Whether a sign-in in progress has this state and browser binding (without spending it).
    static func hasState(stateHash: [UInt8], browserBinding: [UInt8], in db: Transaction) throws -> Bool
    /// Whether any provider account is linked to the user.
    static func hasIdentity(userID: UInt64, in db: Transaction) throws -> Bool
    /// The user a provider account is linked to.
    static func linkedUser(issuer: String, subject: String, in db: Transaction) throws -> UInt64?
    /// Links a provider account to a user (an explicit link: the last sign-in time is left as it was).
    static func link(issuer: String, subject: String, provider: String, userID: UInt64, email: String?, now: Int64,
                     handle: String?, in db: Transaction) throws
    /// Records a sign-in through a provider account, linking it to the user when it was not yet.
    static func recordSignIn(issuer: String, subject: String, provider: String, userID: UInt64, email: String?,
                     now: Int64, handle: String?, in db: Transaction) throws
    /// The identities of `issuer` linked to a user, oldest first.
    static func identities(userID: UInt64, issuer: String, in db: Transaction) throws -> [LinkedSSOIdentity]
    /// How many provider identities (of any issuer) a user has.
    static func identityCount(userID: UInt64, in db: Transaction) throws -> Int64
    /// Unlinks one identity from its user; false when the user has no such identity.
    static func unlink(userID: UInt64, issuer: String, subject: String, in db: Transaction) throws -> Bool
    /// Updates the last sign-in time of a linked provider account.
    static func touchLastLogin(issuer: String, subject: String, now: Int64, in db: Transaction) throws
    /// Stores a completion under SHA-256 of its code.
    static func insertCompletion(_ completion: SSOCompletion, codeHash: [UInt8], in db: Transaction) throws
    /// Spends a completion code: the statement deletes it, so of two requests racing with one code (on any node)
    /// exactly one gets it. Expired codes are spent and returned too; the caller checks `expiresAt`.
    static func spendCompletion(codeHash: [UInt8], in db: Transaction) throws -> SSOCompletion?
    /// The unretired keys, newest first (the first signs; all are published).
    static func activeATProtoKeys(in db: Transaction) throws -> [ATProtoKeyRow]
    /// Stops publishing a key.
    static func retireATProtoKey(kid: String, now: Int64, in db: Transaction) throws
    /// Adds a key unless one with its id exists.
    static func insertATProtoKey(_ key: ATProtoKeyRow, in db: Transaction) throws
}

/// A sign-in in progress.
package struct SSOStateRecord {
    package var provider: String
    package var nonce: String
    /// The PKCE verifier, sealed.
    package var verifierSealed: [UInt8]
    /// Where the person lands afterwards (a relative path; empty for the default).
    package var redirectTo: String
    package var expiresAt: Int64
    /// The callback the authorization request named (nil for states stored before it was kept).
    package var redirectURI: String?
    /// SHA-256 of the browser's binding cookie; nil when an API client completes the sign-in.
    package var browserBinding: [UInt8]?
    /// The signed-in user this sign-in links the provider account to.
    package var linkUserID: UInt64?
    /// SHA-256 of the cookie `/auth/sso/start` set for a same-site browser page: our callback then finishes
    /// the sign-in only in that browser.
    package var callbackBinding: [UInt8]?
    /// `connection` when it links a Bluesky account to `linkUserID` as a connection; nil for a sign-in.
    package var purpose: String?
    /// The memberwise initializer, visible to the other targets of the package.
    package init(provider: String, nonce: String, verifierSealed: [UInt8], redirectTo: String, expiresAt: Int64, redirectURI: String?,
                 browserBinding: [UInt8]?, linkUserID: UInt64?, callbackBinding: [UInt8]? = nil, purpose: String? = nil) {
        self.callbackBinding = callbackBinding
        self.purpose = purpose
        self.provider = provider
        self.nonce = nonce
        self.verifierSealed = verifierSealed
        self.redirectTo = redirectTo
        self.expiresAt = expiresAt
        self.redirectURI = redirectURI
        self.browserBinding = browserBinding
        self.linkUserID = linkUserID
    }
}

/// A provider account linked to a user, as `GET /users/@me/connections` shows it.
package struct LinkedSSOIdentity: Equatable {
    package var subject: String
    package var provider: String
    package var handle: String?
    package var createdAt: Int64

    /// The memberwise initializer, visible to the other targets of the package.
    package init(subject: String, provider: String, handle: String? = nil, createdAt: Int64) {
        self.subject = subject
        self.provider = provider
        self.handle = handle
        self.createdAt = createdAt
    }
}

/// What a completion code stands for.
package struct SSOCompletion: Equatable {
    package var provider: String
    package var userID: UInt64
    /// `session`, `mfa` or `linked`.
    package var outcome: String
    package var redirectTo: String
    package var expiresAt: Int64

    package init(provider: String, userID: UInt64, outcome: String, redirectTo: String, expiresAt: Int64) {
        self.provider = provider
        self.userID = userID
        self.outcome = outcome
        self.redirectTo = redirectTo
        self.expiresAt = expiresAt
    }
}

/// One of our AT Protocol client's signing keys, sealed.
package struct ATProtoKeyRow {
    package var kid: String
    package var privateKeySealed: [UInt8]
    package var createdAt: Int64

    package init(kid: String, privateKeySealed: [UInt8], createdAt: Int64) {
        self.kid = kid
        self.privateKeySealed = privateKeySealed
        self.createdAt = createdAt
    }
}
