/// Storage of users, their passwords and lockout: the contract `UserStore` (FluxerPersistence) fulfils on SQLite and
/// PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol UserStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func find(id: UInt64, in db: Transaction) throws -> User?
    /// Case-insensitive lookup by email (the stored `email_key` is lower-cased ASCII).
    static func find(email: String, in db: Transaction) throws -> User?
    /// Inserts a user with a free random discriminator for the username (1–9999).
    static func insert(_ user: NewUser, in db: Transaction) throws -> User
    /// A random unused discriminator for `username` (tags are unique case-insensitively), or nil when all
    /// 9999 are taken.
    static func freeDiscriminator(for username: String, in db: Transaction) throws -> Int?
    static func setPassword(userID: UInt64, hash: String, now: Int64, in db: Transaction) throws
    /// Replaces the hash only (a rehash with new parameters is not a password change).
    static func upgradeHash(userID: UInt64, hash: String, in db: Transaction) throws
    static func markVerified(userID: UInt64, in db: Transaction) throws
    /// The user id registered under an email address (case-insensitive).
    static func id(email: String, in db: Transaction) throws -> UInt64?
    /// Mirrors the lockout bucket on the user row (`AccountLockout`): failures still counted, and the lock's end.
    static func setLockout(userID: UInt64, failures: Int64, lockedUntil: Int64?, in db: Transaction) throws
    /// The end of the account's lock as stored (a cached `User` may predate it).
    static func lockedUntil(userID: UInt64, in db: Transaction) throws -> Int64?
    /// Clears the mirrored count and lock (only writes when there is something to clear).
    static func clearLockout(userID: UInt64, in db: Transaction) throws
    /// Pre-account hijacking (`Accounts.claimUnverifiedAccount`): removes the second factors, the phone and
    /// (unless `keepPassword`) the password, deletes every credential, challenge, code, link and consent keyed by
    /// the user, and marks the address verified. Sessions, grants and application secrets are the caller's.
    static func shutOutRegistrant(userID: UInt64, keepPassword: Bool, in db: Transaction) throws
    /// Whether `email` may become the address of `userID` (nil: a new account): no other account has it, and no
    /// live revert link holds it for another account.
    static func isEmailAvailable(_ email: String, for userID: UInt64?, now: Int64, in db: Transaction) throws -> Bool
    /// Whether the tag `username#discriminator` (case-insensitive) is free, or is `userID`'s own.
    static func isTagFree(username: String, discriminator: Int, for userID: UInt64, in db: Transaction) throws -> Bool
    /// How many accounts use `username` (any case): 9999 means no discriminator is left for it.
    static func countUsing(username: String, in db: Transaction) throws -> Int64
    /// Writes the profile fields of `user`: tag, display name, avatar, banner, bio and flags.
    static func updateProfile(_ user: User, in db: Transaction) throws
    /// Sets the account's address, and whether it is proven.
    static func setEmail(userID: UInt64, email: String, verified: Bool, in db: Transaction) throws
    /// Users by ascending id, after `afterID` when given, whose email contains `emailContains` (case-insensitive,
    /// taken literally: `%` and `_` are not wildcards) when given; at most `limit`.
    static func list(afterID: UInt64?, emailContains: String?, limit: Int, in db: Transaction) throws -> [User]
    /// Marks the account disabled at `now` unless it already is; returns whether it changed.
    static func disable(userID: UInt64, now: Int64, in db: Transaction) throws -> Bool
    /// Clears the account's disabled mark; returns whether it was set.
    static func enable(userID: UInt64, in db: Transaction) throws -> Bool
    /// Deletes a user that is not a bot (bots go with their application) and, by cascade, everything keyed by it:
    /// sessions, grants, codes, consents, second factors, links, guild memberships, owned guilds. Applications
    /// the user owns are the caller's to delete first (their bot users would otherwise stay). Returns whether a
    /// row went.
    static func delete(id: UInt64, in db: Transaction) throws -> Bool
}

package struct NewUser {
    package var id: UInt64
    package var username: String
    package var globalName: String?
    package var email: String?
    package var verified = false
    package var passwordHash: String?
    package var dateOfBirth: String?
    package var isBot = false
    /// A fixed discriminator (seed fixtures); nil picks a free one at random.
    package var discriminator: Int?
    package var createdAt: Int64
    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: UInt64, username: String, globalName: String? = nil, email: String? = nil, verified: Bool = false,
                 passwordHash: String? = nil, dateOfBirth: String? = nil, isBot: Bool = false, discriminator: Int? = nil,
                 createdAt: Int64) {
        self.discriminator = discriminator
        self.id = id
        self.username = username
        self.globalName = globalName
        self.email = email
        self.verified = verified
        self.passwordHash = passwordHash
        self.dateOfBirth = dateOfBirth
        self.isBot = isBot
        self.createdAt = createdAt
    }
}

package enum UserInsertError: Error {
    case emailTaken
    case usernameExhausted
    /// The fixed discriminator asked for is taken for this username.
    case discriminatorTaken
}
