import FluxerCrypto
import FluxerPersistence
import SQLite

/// The second-factor methods, in the order the API lists them.
enum MFAMethod: String, Sendable {
    case totp, sms, webauthn
}

/// Verification of TOTP, backup and SMS codes inside a write transaction, so that a code is accepted at most
/// once even when submitted in parallel (AC-02 for one-time codes).
struct SecondFactor {
    let keys: MFAKeys
    let now: Int64

    /// TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) or an unused backup code. A TOTP code is refused if its
    /// time step is not newer than the last accepted one (RFC 6238 §5.2: no second use of an OTP).
    func verifyTOTPOrBackup(_ code: String, userID: UInt64, in db: SQLTransaction) throws -> Bool {
        let trimmed = code.trimmingASCIIWhitespace()
        if BackupCodes.isWellFormed(trimmed) {
            return try db.run("""
                UPDATE mfa_backup_codes SET consumed_at = ? WHERE user_id = ? AND code_hash = ? AND consumed_at IS NULL
                """, now, Int64(bitPattern: userID), keys.codeHash(trimmed, purpose: "backup")) == 1
        }
        guard let row = try db.queryOne("SELECT totp_secret, totp_last_counter FROM users WHERE id = ?", Int64(bitPattern: userID)),
              let sealed = row.blob("totp_secret"), let secret = keys.totpBox.open(sealed),
              let counter = TOTP.verify(trimmed, secret: secret, at: now / 1000)
        else { return false }
        if let last = row.int("totp_last_counter"), Int64(bitPattern: counter) <= last { return false }
        try db.run("UPDATE users SET totp_last_counter = ? WHERE id = ?", Int64(bitPattern: counter), Int64(bitPattern: userID))
        return true
    }

    /// Checks `code` against the secret in hand (enabling TOTP: the secret is not stored yet).
    func verifyTOTP(_ code: String, secret: [UInt8]) -> UInt64? {
        TOTP.verify(code.trimmingASCIIWhitespace(), secret: secret, at: now / 1000)
    }

    /// Issues an SMS code for (user, purpose, scope) and returns it for the outbox; older codes for the same
    /// scope stop working, but their failure count carries over while they are alive, so a resend does not
    /// buy five more guesses (SM-02).
    func issueSMSCode(userID: UInt64, purpose: String, scope: String, in db: SQLTransaction) throws -> String {
        let code = SMSCode.generate()
        let failures = try db.queryOne("""
            SELECT max(failed_attempts) AS n FROM sms_codes
            WHERE user_id = ? AND purpose = ? AND scope_key = ? AND consumed_at IS NULL AND expires_at > ?
            """, Int64(bitPattern: userID), purpose, scope, now)?.int("n") ?? 0
        try db.run("DELETE FROM sms_codes WHERE user_id = ? AND purpose = ? AND scope_key = ?", Int64(bitPattern: userID), purpose, scope)
        try db.run("""
            INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at, failed_attempts) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, Int64(bitPattern: userID), purpose, scope, keys.codeHash(code, purpose: "sms|" + purpose + "|" + scope), now, now + SMSCode.lifetime,
            failures)
        return code
    }

    enum SMSResult: Equatable {
        case accepted, wrong, expiredOrMissing
    }

    /// Checks an SMS code: single use, 10 minutes, dead after 5 wrong tries.
    func verifySMSCode(_ code: String, userID: UInt64, purpose: String, scope: String, in db: SQLTransaction) throws -> SMSResult {
        guard let row = try db.queryOne("""
            SELECT id, code_hash, expires_at, failed_attempts FROM sms_codes
            WHERE user_id = ? AND purpose = ? AND scope_key = ? AND consumed_at IS NULL ORDER BY id DESC LIMIT 1
            """, Int64(bitPattern: userID), purpose, scope),
              let id = row.int("id"), (row.int("expires_at") ?? 0) > now, (row.int("failed_attempts") ?? 0) < Int64(SMSCode.maxFailures)
        else { return .expiredOrMissing }
        let expected = keys.codeHash(code.trimmingASCIIWhitespace(), purpose: "sms|" + purpose + "|" + scope)
        guard SMSCode.isWellFormed(code.trimmingASCIIWhitespace()), ConstantTime.equals(expected, row.blob("code_hash") ?? []) else {
            try db.run("UPDATE sms_codes SET failed_attempts = failed_attempts + 1 WHERE id = ?", id)
            return .wrong
        }
        return try db.run("UPDATE sms_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", now, id) == 1 ? .accepted : .wrong
    }

    /// Replaces a user's backup codes; returns the new plaintext codes (shown once).
    func regenerateBackupCodes(userID: UInt64, in db: SQLTransaction) throws -> [String] {
        let codes = BackupCodes.generate()
        try db.run("DELETE FROM mfa_backup_codes WHERE user_id = ?", Int64(bitPattern: userID))
        for code in codes {
            try db.run("INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES (?, ?)",
                       Int64(bitPattern: userID), keys.codeHash(code, purpose: "backup"))
        }
        return codes
    }

    /// `[{code, consumed: false}]`, the real server's shape.
    static func backupCodesJSON(_ codes: [String]) -> JSONValue {
        .object([("backup_codes", .array(codes.map { .object([("code", .string($0)), ("consumed", false)]) }))])
    }
}
