import FluxerDomain
import SQLite

/// SQL for email change links (to the new address) and revert links (to the old one): `email_change_tokens`,
/// SHA-256 of the token, spent by DELETE … RETURNING. Every function runs inside the caller's transaction.
package enum EmailChangeStore: EmailChangeStorage {
    package typealias Purpose = EmailChangePurpose

    package static func insert(hash: [UInt8], userID: UInt64, purpose: Purpose, email: String, now: Int64, expiresAt: Int64,
                               in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO email_change_tokens (token_hash, user_id, purpose, email, email_key, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, hash, Int64(bitPattern: userID), purpose.rawValue, email, UserStore.emailKey(email), now, expiresAt)
    }

    /// Spends a link of `purpose`: (user, address) when it was live; nil when unknown or expired (an expired
    /// one is spent all the same). The DELETE decides, so it works once under concurrency.
    package static func consume(hash: [UInt8], purpose: Purpose, now: Int64, in db: SQLTransaction) throws -> (userID: UInt64, email: String)? {
        guard let row = try db.queryOne("""
            DELETE FROM email_change_tokens WHERE token_hash = ? AND purpose = ? RETURNING user_id, email, expires_at
            """, hash, purpose.rawValue),
              let expires = row.int("expires_at"), expires > now, let user = row.int("user_id"), let email = row.string("email")
        else { return nil }
        return (UInt64(bitPattern: user), email)
    }

    /// The user a live link belongs to, without spending it.
    package static func owner(hash: [UInt8], purpose: Purpose, now: Int64, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("SELECT user_id FROM email_change_tokens WHERE token_hash = ? AND purpose = ? AND expires_at > ?",
                        hash, purpose.rawValue, now)?.int("user_id").map { UInt64(bitPattern: $0) }
    }

    /// Deletes the user's links of `purpose` still out.
    package static func delete(userID: UInt64, purpose: Purpose, in db: SQLTransaction) throws {
        try db.run("DELETE FROM email_change_tokens WHERE user_id = ? AND purpose = ?", Int64(bitPattern: userID), purpose.rawValue)
    }

    /// Whether a live revert link holds `email` for an account other than `userID`: the address an account lost
    /// to a change stays its own until the revert link expires, so whoever changed it cannot keep the owner
    /// from reverting by registering it elsewhere.
    package static func isReserved(email: String, exceptUserID userID: UInt64?, now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.queryOne("""
            SELECT 1 AS held FROM email_change_tokens
            WHERE email_key = ? AND purpose = 'email_revert' AND expires_at > ? AND user_id <> ?
            """, UserStore.emailKey(email), now, Int64(bitPattern: userID ?? 0)) != nil
    }
}
