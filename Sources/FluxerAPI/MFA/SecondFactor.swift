import FluxerCrypto
import FluxerPersistence
import SQLite
import FluxerDomain
import FluxerJSON

/// The second-factor methods, in the order the API lists them.
package enum MFAMethod: String, Sendable {
    case totp, sms, webauthn
}

/// Verification of TOTP, backup and SMS codes inside a write transaction, so that a code is accepted at most
/// once even when submitted in parallel (AC-02 for one-time codes).
package struct SecondFactor {
    package let keys: MFAKeys
    package let now: Int64

    /// TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) or an unused backup code. A TOTP code is refused if its
    /// time step is not newer than the last accepted one (RFC 6238 §5.2: no second use of an OTP).
    package func verifyTOTPOrBackup(_ code: String, userID: UInt64, in db: SQLTransaction) throws -> Bool {
        let trimmed = code.trimmingASCIIWhitespace()
        if BackupCodes.isWellFormed(trimmed) {
            return try MFAStore.consumeBackupCode(userID: userID, codeHash: keys.codeHash(trimmed, purpose: "backup"), now: now, in: db)
        }
        guard let state = try MFAStore.totpState(userID: userID, in: db), let secret = keys.totpBox.open(state.sealedSecret),
              let counter = TOTP.verify(trimmed, secret: secret, at: now / 1000)
        else { return false }
        if let last = state.lastCounter, Int64(bitPattern: counter) <= last { return false }
        try MFAStore.recordTOTPCounter(userID: userID, counter: counter, in: db)
        return true
    }

    /// Checks `code` against the secret in hand (enabling TOTP: the secret is not stored yet).
    package func verifyTOTP(_ code: String, secret: [UInt8]) -> UInt64? {
        TOTP.verify(code.trimmingASCIIWhitespace(), secret: secret, at: now / 1000)
    }

    /// Issues an SMS code for (user, purpose, scope) and returns it for the outbox; older codes for the same
    /// scope stop working, but their failure count carries over while they are alive, so a resend does not
    /// buy five more guesses (SM-02).
    package func issueSMSCode(userID: UInt64, purpose: String, scope: String, in db: SQLTransaction) throws -> String {
        let code = SMSCode.generate()
        let failures = try MFAStore.liveSMSFailures(userID: userID, purpose: purpose, scope: scope, now: now, in: db)
        try MFAStore.deleteSMSCodes(userID: userID, purpose: purpose, scope: scope, in: db)
        try MFAStore.insertSMSCode(userID: userID, purpose: purpose, scope: scope, codeHash: keys.codeHash(code, purpose: "sms|" + purpose + "|" + scope),
                                   now: now, expiresAt: now + SMSCode.lifetime, failedAttempts: failures, in: db)
        return code
    }

    package enum SMSResult: Equatable {
        case accepted, wrong, expiredOrMissing
    }

    /// Checks an SMS code: single use, 10 minutes, dead after 5 wrong tries.
    package func verifySMSCode(_ code: String, userID: UInt64, purpose: String, scope: String, in db: SQLTransaction) throws -> SMSResult {
        guard let stored = try MFAStore.latestSMSCode(userID: userID, purpose: purpose, scope: scope, in: db),
              stored.expiresAt > now, stored.failedAttempts < Int64(SMSCode.maxFailures)
        else { return .expiredOrMissing }
        let expected = keys.codeHash(code.trimmingASCIIWhitespace(), purpose: "sms|" + purpose + "|" + scope)
        guard SMSCode.isWellFormed(code.trimmingASCIIWhitespace()), ConstantTime.equals(expected, stored.codeHash) else {
            try MFAStore.recordSMSFailure(id: stored.id, in: db)
            return .wrong
        }
        return try MFAStore.consumeSMSCode(id: stored.id, now: now, in: db) ? .accepted : .wrong
    }

    /// Replaces a user's backup codes; returns the new plaintext codes (shown once).
    package func regenerateBackupCodes(userID: UInt64, in db: SQLTransaction) throws -> [String] {
        let codes = BackupCodes.generate()
        try MFAStore.replaceBackupCodes(userID: userID, codeHashes: codes.map { keys.codeHash($0, purpose: "backup") }, in: db)
        return codes
    }

    /// `[{code, consumed: false}]`, the real server's shape.
    package static func backupCodesJSON(_ codes: [String]) -> JSONValue {
        .object([("backup_codes", .array(codes.map { .object([("code", .string($0)), ("consumed", false)]) }))])
    }
}
