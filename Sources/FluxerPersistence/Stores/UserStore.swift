import FluxerCrypto
import SQLite
import FluxerDomain

/// SQL for users. Every function runs inside the caller's transaction (`Connection`).
package enum UserStore: UserStorage {
    package static func find(id: UInt64, in db: SQLTransaction) throws -> User? {
        try db.queryOne("SELECT \(User.columns) FROM users WHERE id = ?", Int64(bitPattern: id)).map(User.init(row:))
    }

    /// Case-insensitive lookup by email (the stored `email_key` is lower-cased ASCII).
    package static func find(email: String, in db: SQLTransaction) throws -> User? {
        try db.queryOne("SELECT \(User.columns) FROM users WHERE email_key = ?", emailKey(email)).map(User.init(row:))
    }

    package static func emailKey(_ email: String) -> String {
        String(decoding: email.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    package typealias NewUser = FluxerDomain.NewUser

    package typealias InsertError = UserInsertError

    /// Inserts a user with a free random discriminator for the username (1–9999). An address in use, or held
    /// for another account by a live revert link (`EmailChangeStore.isReserved`), is refused.
    package static func insert(_ user: NewUser, in db: SQLTransaction) throws -> User {
        if let email = user.email, try !isEmailAvailable(email, for: nil, now: user.createdAt, in: db) { throw InsertError.emailTaken }
        let discriminator: Int
        if let fixed = user.discriminator {
            let taken = try db.queryOne("SELECT 1 FROM users WHERE lower(username) = lower(?) AND discriminator = ?", user.username, fixed)
            guard taken == nil else { throw InsertError.discriminatorTaken }
            discriminator = fixed
        } else {
            guard let free = try freeDiscriminator(for: user.username, in: db) else { throw InsertError.usernameExhausted }
            discriminator = free
        }
        try db.run("""
            INSERT INTO users (id, username, discriminator, global_name, email, email_key, verified, password_hash,
                               password_changed_at, bot, date_of_birth, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            Int64(bitPattern: user.id), user.username, discriminator, user.globalName, user.email,
            user.email.map(emailKey), user.verified, user.passwordHash, user.passwordHash == nil ? nil : user.createdAt,
            user.isBot, user.dateOfBirth, user.createdAt)
        return try find(id: user.id, in: db)!
    }

    /// A random unused discriminator for `username` (tags are unique case-insensitively), or nil when all
    /// 9999 are taken.
    package static func freeDiscriminator(for username: String, in db: SQLTransaction) throws -> Int? {
        for _ in 0..<16 {
            let candidate = Int(SecureRandom.uniform(9999)) + 1
            let taken = try db.queryOne("SELECT 1 FROM users WHERE lower(username) = lower(?) AND discriminator = ?", username, candidate)
            if taken == nil { return candidate }
        }
        let used = Set(try db.query("SELECT discriminator FROM users WHERE lower(username) = lower(?)", username)
            .compactMap { $0.int("discriminator") }.map(Int.init))
        return (1...9999).first { !used.contains($0) }
    }

    /// Whether `email` may become the address of `userID` (nil: a new account): no other account has it, and no
    /// live revert link holds it for another account.
    package static func isEmailAvailable(_ email: String, for userID: UInt64?, now: Int64, in db: SQLTransaction) throws -> Bool {
        if let holder = try id(email: email, in: db), holder != userID { return false }
        return try !EmailChangeStore.isReserved(email: email, exceptUserID: userID, now: now, in: db)
    }

    /// Whether the tag `username#discriminator` (case-insensitive) is free, or is `userID`'s own.
    package static func isTagFree(username: String, discriminator: Int, for userID: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT 1 AS taken FROM users WHERE lower(username) = lower(?) AND discriminator = ? AND id <> ?",
                        username, discriminator, Int64(bitPattern: userID)) == nil
    }

    /// How many accounts use `username` (any case): 9999 means no discriminator is left for it.
    package static func countUsing(username: String, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT count(*) AS n FROM users WHERE lower(username) = lower(?)", username)?.int("n") ?? 0
    }

    /// Writes the profile fields of `user`: tag, display name, avatar, banner, bio and flags.
    package static func updateProfile(_ user: User, in db: SQLTransaction) throws {
        try db.run("""
            UPDATE users SET username = ?, discriminator = ?, global_name = ?, avatar = ?, banner = ?, bio = ?, flags = ? WHERE id = ?
            """, user.username, user.discriminator, user.globalName, user.avatar, user.banner, user.bio, user.flags,
            Int64(bitPattern: user.id))
    }

    /// Sets the account's address, and whether it is proven.
    package static func setEmail(userID: UInt64, email: String, verified: Bool, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET email = ?, email_key = ?, verified = ? WHERE id = ?", email, emailKey(email), verified,
                   Int64(bitPattern: userID))
    }

    package static func setPassword(userID: UInt64, hash: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?", hash, now, Int64(bitPattern: userID))
    }

    /// Replaces the hash only (a rehash with new parameters is not a password change).
    package static func upgradeHash(userID: UInt64, hash: String, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET password_hash = ? WHERE id = ?", hash, Int64(bitPattern: userID))
    }

    package static func markVerified(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET verified = TRUE WHERE id = ?", Int64(bitPattern: userID))
    }

    /// The user id registered under an email address (case-insensitive).
    package static func id(email: String, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("SELECT id FROM users WHERE email_key = ?", emailKey(email))?.int("id").map { UInt64(bitPattern: $0) }
    }

    // MARK: - Lockout (LG-01)

    /// Mirrors the lockout bucket on the user row (`AccountLockout`): failures still counted, and the lock's end.
    package static func setLockout(userID: UInt64, failures: Int64, lockedUntil: Int64?, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET mfa_failures = ?, mfa_locked_until = ? WHERE id = ?", failures, lockedUntil, Int64(bitPattern: userID))
    }

    /// The end of the account's lock as stored (a cached `User` may predate it).
    package static func lockedUntil(userID: UInt64, in db: SQLTransaction) throws -> Int64? {
        try db.queryOne("SELECT mfa_locked_until FROM users WHERE id = ?", Int64(bitPattern: userID))?.int("mfa_locked_until")
    }

    /// Clears the mirrored count and lock (only writes when there is something to clear).
    package static func clearLockout(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL WHERE id = ? AND (mfa_failures != 0 OR mfa_locked_until IS NOT NULL)",
                   Int64(bitPattern: userID))
    }

    // MARK: - Claiming an unverified account

    /// The tables holding ways into an account that its registrant could have set up, all keyed by `user_id`.
    private static let registrantTables = [
        "webauthn_credentials", "webauthn_challenges", "mfa_backup_codes", "mfa_pending_totp", "mfa_tickets", "sms_codes",
        "phone_tokens", "email_tokens", "email_change_tokens", "sso_identities", "oauth2_authorizations",
    ]

    /// Pre-account hijacking (`Accounts.claimUnverifiedAccount`): removes the second factors, the phone and
    /// (unless `keepPassword`) the password, deletes every credential, challenge, code, link and consent keyed by
    /// the user, and marks the address verified. Sessions, grants and application secrets are the caller's.
    package static func shutOutRegistrant(userID: UInt64, keepPassword: Bool, in db: SQLTransaction) throws {
        let id = Int64(bitPattern: userID)
        try db.run("""
            UPDATE users SET totp_secret = NULL, totp_last_counter = NULL, sms_mfa_enabled = FALSE, phone = NULL, verified = TRUE
            WHERE id = ?
            """, id)
        if !keepPassword { try db.run("UPDATE users SET password_hash = NULL WHERE id = ?", id) }
        for table in registrantTables {
            try db.run("DELETE FROM \(table) WHERE user_id = ?", id)
        }
    }

    // MARK: - Administration (`fluxer-auth user …`)

    /// The most users one `list` answers.
    package static let maxListLimit = 1_000

    /// Users by ascending id, after `afterID` when given, whose email contains `emailContains` (case-insensitive,
    /// taken literally: `%` and `_` are not wildcards) when given; at most `limit`.
    package static func list(afterID: UInt64?, emailContains: String?, limit: Int, in db: SQLTransaction) throws -> [User] {
        let pattern = emailContains.map { "%" + likeEscaped(emailKey($0)) + "%" }
        return try db.query("""
            SELECT \(User.columns) FROM users
            WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR email_key LIKE ? ESCAPE '!')
            ORDER BY id LIMIT ?
            """, afterID.map { Int64(bitPattern: $0) } ?? Int64.min, pattern, pattern, min(max(limit, 0), maxListLimit)).map(User.init(row:))
    }

    /// `text` with LIKE's wildcards and the escape character itself escaped by `!`.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for c in text {
            if c == "%" || c == "_" || c == "!" { escaped.append("!") }
            escaped.append(c)
        }
        return escaped
    }

    /// Marks the account disabled at `now` unless it already is; returns whether it changed.
    package static func disable(userID: UInt64, now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL", now, Int64(bitPattern: userID)) > 0
    }

    /// Clears the account's disabled mark; returns whether it was set.
    package static func enable(userID: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.run("UPDATE users SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL", Int64(bitPattern: userID)) > 0
    }

    /// Deletes a user that is not a bot and, by cascade, everything keyed by it; returns whether a row went.
    package static func delete(id: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.run("DELETE FROM users WHERE id = ? AND bot = FALSE", Int64(bitPattern: id)) > 0
    }
}

/// How a user row is read: the select list and the mapping, kept with the statements that use them.
extension User {
    fileprivate static let plainColumns = [
        "id", "username", "discriminator", "global_name", "email", "verified", "password_hash", "password_changed_at", "avatar",
        "flags", "bot", "system", "phone", "created_at", "sms_mfa_enabled", "mfa_failures", "mfa_locked_until", "bio", "banner", "disabled_at",
    ]

    /// The select list for users, optionally through a table alias (joins), in `init(row:)`'s names.
    package static func columns(alias: String? = nil) -> String {
        let p = alias.map { $0 + "." } ?? ""
        let table = alias ?? "users"
        return plainColumns.map { p + $0 }.joined(separator: ", ")
            + ", (\(p)totp_secret IS NOT NULL) AS totp_enabled"
            + ", (SELECT count(*) FROM webauthn_credentials w WHERE w.user_id = \(table).id) AS webauthn_count"
    }

    /// Columns selected by every user query.
    package static var columns: String { columns() }

    package init(row: SQLRow) {
        self.init(id: UInt64(bitPattern: row.int("id") ?? 0),
                  username: row.string("username") ?? "",
                  discriminator: Int(row.int("discriminator") ?? 0),
                  globalName: row.string("global_name"),
                  email: row.string("email"),
                  verified: row.bool("verified") ?? false,
                  passwordHash: row.string("password_hash"),
                  passwordChangedAt: row.int("password_changed_at"),
                  avatar: row.string("avatar"),
                  flags: row.int("flags") ?? 0,
                  isBot: row.bool("bot") ?? false,
                  isSystem: row.bool("system") ?? false,
                  phone: row.string("phone"),
                  createdAt: row.int("created_at") ?? 0,
                  totpEnabled: row.bool("totp_enabled") ?? false,
                  smsMFAEnabled: row.bool("sms_mfa_enabled") ?? false,
                  webauthnCount: Int(row.int("webauthn_count") ?? 0),
                  failedAttempts: Int(row.int("mfa_failures") ?? 0),
                  lockedUntil: row.int("mfa_locked_until"),
                  bio: row.string("bio"),
                  banner: row.string("banner"),
                  disabledAt: row.int("disabled_at"))
    }
}
