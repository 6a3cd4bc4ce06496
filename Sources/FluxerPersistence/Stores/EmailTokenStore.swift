import FluxerDomain
import SQLite

/// SQL for the single-use tokens emailed links carry (`email_tokens`: address verification and password
/// reset), stored as SHA-256 of the token. Every function runs inside the caller's transaction.
package enum EmailTokenStore: EmailTokenStorage {
    package static func insert(hash: [UInt8], userID: UInt64, purpose: String, email: String, now: Int64, expiresAt: Int64,
                       in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
            """, hash, Int64(bitPattern: userID), purpose, email, now, expiresAt)
    }

    package typealias Redeemed = RedeemedEmailToken

    /// Spends a token of `purpose`: nil when unknown or expired (an expired one is spent all the same). Single
    /// use even under concurrency: the DELETE decides.
    package static func consume(hash: [UInt8], purpose: String, now: Int64, in db: SQLTransaction) throws -> Redeemed? {
        guard let row = try db.queryOne("""
            DELETE FROM email_tokens WHERE token_hash = ? AND purpose = ? RETURNING user_id, email, expires_at
            """, hash, purpose) else { return nil }
        guard let expires = row.int("expires_at"), expires > now, let user = row.int("user_id"), let email = row.string("email") else { return nil }
        return Redeemed(userID: UInt64(bitPattern: user), email: email)
    }

    /// The user a live password-reset token belongs to, without spending it.
    package static func passwordResetOwner(hash: [UInt8], now: Int64, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("""
            SELECT user_id FROM email_tokens WHERE token_hash = ? AND purpose = 'password_reset' AND expires_at > ?
            """, hash, now)?.int("user_id").map { UInt64(bitPattern: $0) }
    }

    /// Deletes the user's verification links still out.
    package static func deleteVerificationTokens(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM email_tokens WHERE user_id = ? AND purpose = 'verify_email'", Int64(bitPattern: userID))
    }

    /// Deletes the user's password-reset links still out.
    package static func deletePasswordResetTokens(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM email_tokens WHERE user_id = ? AND purpose = 'password_reset'", Int64(bitPattern: userID))
    }
}
