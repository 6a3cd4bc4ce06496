import FluxerDomain
import SQLite

/// SQL for the second factors other than WebAuthn: the TOTP secret and counter on the user row, TOTP set-ups
/// waiting for their first code, backup codes, SMS codes, phone numbers and their proof tokens, and MFA login
/// tickets. Every function runs inside the caller's transaction; single use is decided by the statement
/// (`… AND consumed_at IS NULL`, `DELETE … RETURNING`), so a code is spent at most once under concurrency.
package enum MFAStore: MFAStorage {
    // MARK: - TOTP

    package typealias PendingTOTP = FluxerDomain.PendingTOTP

    /// Stores (or replaces) the user's pending TOTP set-up.
    package static func savePendingTOTP(userID: UInt64, sealedSecret: [UInt8], expiresAt: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO mfa_pending_totp (user_id, secret, expires_at) VALUES (?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, expires_at = excluded.expires_at
            """, Int64(bitPattern: userID), sealedSecret, expiresAt)
    }

    /// The user's pending TOTP set-up, expired or not.
    package static func pendingTOTP(userID: UInt64, in db: SQLTransaction) throws -> PendingTOTP? {
        guard let row = try db.queryOne("SELECT secret, expires_at FROM mfa_pending_totp WHERE user_id = ?", Int64(bitPattern: userID)),
              let sealed = row.blob("secret")
        else { return nil }
        return PendingTOTP(sealedSecret: sealed, expiresAt: row.int("expires_at") ?? 0)
    }

    package static func deletePendingTOTP(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM mfa_pending_totp WHERE user_id = ?", Int64(bitPattern: userID))
    }

    /// Turns TOTP on with its first accepted time step; false when it already was on (a concurrent enable won).
    package static func enableTOTP(userID: UInt64, sealedSecret: [UInt8], counter: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE users SET totp_secret = ?, totp_last_counter = ? WHERE id = ? AND totp_secret IS NULL
            """, sealedSecret, Int64(bitPattern: counter), Int64(bitPattern: userID)) == 1
    }

    /// Turns TOTP off, and SMS MFA with it (SMS needs TOTP).
    package static func disableTOTP(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET totp_secret = NULL, totp_last_counter = NULL, sms_mfa_enabled = FALSE WHERE id = ?",
                   Int64(bitPattern: userID))
    }

    package typealias TOTPState = FluxerDomain.TOTPState

    /// The user's TOTP state; nil when TOTP is off.
    package static func totpState(userID: UInt64, in db: SQLTransaction) throws -> TOTPState? {
        guard let row = try db.queryOne("SELECT totp_secret, totp_last_counter FROM users WHERE id = ?", Int64(bitPattern: userID)),
              let sealed = row.blob("totp_secret")
        else { return nil }
        return TOTPState(sealedSecret: sealed, lastCounter: row.int("totp_last_counter"))
    }

    /// Records the time step of an accepted code (RFC 6238 §5.2: none at or below it is accepted again).
    package static func recordTOTPCounter(userID: UInt64, counter: UInt64, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET totp_last_counter = ? WHERE id = ?", Int64(bitPattern: counter), Int64(bitPattern: userID))
    }

    // MARK: - Backup codes

    /// Spends an unused backup code; false when unknown or already used.
    package static func consumeBackupCode(userID: UInt64, codeHash: [UInt8], now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE mfa_backup_codes SET consumed_at = ? WHERE user_id = ? AND code_hash = ? AND consumed_at IS NULL
            """, now, Int64(bitPattern: userID), codeHash) == 1
    }

    /// Replaces every backup code of the user with `codeHashes`.
    package static func replaceBackupCodes(userID: UInt64, codeHashes: [[UInt8]], in db: SQLTransaction) throws {
        try deleteBackupCodes(userID: userID, in: db)
        for hash in codeHashes {
            try db.run("INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES (?, ?)", Int64(bitPattern: userID), hash)
        }
    }

    package static func deleteBackupCodes(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM mfa_backup_codes WHERE user_id = ?", Int64(bitPattern: userID))
    }

    // MARK: - SMS codes

    /// The most failures any live, unspent code for (user, purpose, scope) has had (0 when none).
    package static func liveSMSFailures(userID: UInt64, purpose: String, scope: String, now: Int64, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("""
            SELECT max(failed_attempts) AS n FROM sms_codes
            WHERE user_id = ? AND purpose = ? AND scope_key = ? AND consumed_at IS NULL AND expires_at > ?
            """, Int64(bitPattern: userID), purpose, scope, now)?.int("n") ?? 0
    }

    /// Deletes every code for (user, purpose, scope).
    package static func deleteSMSCodes(userID: UInt64, purpose: String, scope: String, in db: SQLTransaction) throws {
        try db.run("DELETE FROM sms_codes WHERE user_id = ? AND purpose = ? AND scope_key = ?", Int64(bitPattern: userID), purpose, scope)
    }

    package static func insertSMSCode(userID: UInt64, purpose: String, scope: String, codeHash: [UInt8], now: Int64, expiresAt: Int64,
                              failedAttempts: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at, failed_attempts) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, Int64(bitPattern: userID), purpose, scope, codeHash, now, expiresAt, failedAttempts)
    }

    package typealias SMSCodeRecord = FluxerDomain.SMSCodeRecord

    /// The newest unspent code for (user, purpose, scope), expired or not.
    package static func latestSMSCode(userID: UInt64, purpose: String, scope: String, in db: SQLTransaction) throws -> SMSCodeRecord? {
        guard let row = try db.queryOne("""
            SELECT id, code_hash, expires_at, failed_attempts FROM sms_codes
            WHERE user_id = ? AND purpose = ? AND scope_key = ? AND consumed_at IS NULL ORDER BY id DESC LIMIT 1
            """, Int64(bitPattern: userID), purpose, scope),
              let id = row.int("id")
        else { return nil }
        return SMSCodeRecord(id: id, codeHash: row.blob("code_hash") ?? [], expiresAt: row.int("expires_at") ?? 0,
                             failedAttempts: row.int("failed_attempts") ?? 0)
    }

    package static func recordSMSFailure(id: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE sms_codes SET failed_attempts = failed_attempts + 1 WHERE id = ?", id)
    }

    /// Spends a code; false when another request already did.
    package static func consumeSMSCode(id: Int64, now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("UPDATE sms_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", now, id) == 1
    }

    /// Turns SMS as a second factor on or off.
    package static func setSMSMFA(userID: UInt64, enabled: Bool, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET sms_mfa_enabled = ? WHERE id = ?", enabled, Int64(bitPattern: userID))
    }

    // MARK: - Phone numbers

    /// Stores a proof that the user received a code at `phone`, redeemable once before `expiresAt`.
    package static func insertPhoneToken(hash: [UInt8], userID: UInt64, phone: String, expiresAt: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO phone_tokens (token_hash, user_id, phone, expires_at) VALUES (?, ?, ?, ?)",
                   hash, Int64(bitPattern: userID), phone, expiresAt)
    }

    /// Spends the user's phone token and returns its phone number; nil when unknown, foreign or expired (an
    /// expired one is spent all the same).
    package static func spendPhoneToken(hash: [UInt8], userID: UInt64, now: Int64, in db: SQLTransaction) throws -> String? {
        guard let row = try db.queryOne("""
            DELETE FROM phone_tokens WHERE token_hash = ? AND user_id = ? RETURNING phone, expires_at
            """, hash, Int64(bitPattern: userID)),
              (row.int("expires_at") ?? 0) > now
        else { return nil }
        return row.string("phone")
    }

    package static func setPhone(userID: UInt64, phone: String, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET phone = ? WHERE id = ?", phone, Int64(bitPattern: userID))
    }

    /// Removes the phone number; SMS MFA goes with it.
    package static func removePhone(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("UPDATE users SET phone = NULL, sms_mfa_enabled = FALSE WHERE id = ?", Int64(bitPattern: userID))
    }

    // MARK: - Login tickets

    package static func insertTicket(hash: [UInt8], userID: UInt64, now: Int64, expiresAt: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                   hash, Int64(bitPattern: userID), now, expiresAt)
    }

    package typealias TicketRecord = MFATicketRecord

    package static func ticket(hash: [UInt8], in db: SQLTransaction) throws -> TicketRecord? {
        try db.queryOne("SELECT user_id, expires_at, failed_attempts FROM mfa_tickets WHERE ticket_hash = ?", hash).map { row in
            TicketRecord(userID: UInt64(bitPattern: row.int("user_id") ?? 0), expiresAt: row.int("expires_at") ?? 0,
                         failedAttempts: row.int("failed_attempts"))
        }
    }

    package static func recordTicketFailure(hash: [UInt8], in db: SQLTransaction) throws {
        try db.run("UPDATE mfa_tickets SET failed_attempts = failed_attempts + 1 WHERE ticket_hash = ?", hash)
    }

    /// Deletes a ticket; false when another request already did.
    package static func deleteTicket(hash: [UInt8], in db: SQLTransaction) throws -> Bool {
        try db.run("DELETE FROM mfa_tickets WHERE ticket_hash = ?", hash) == 1
    }
}
