/// Storage of TOTP, backup codes, SMS codes, phones and MFA login tickets: the contract `MFAStore` (FluxerPersistence)
/// fulfils on SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does
/// nothing but its statements: a PostgreSQL write may run again after a serialization failure.
package protocol MFAStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Stores (or replaces) the user's pending TOTP set-up.
    static func savePendingTOTP(userID: UInt64, sealedSecret: [UInt8], expiresAt: Int64, in db: Transaction) throws
    /// The user's pending TOTP set-up, expired or not.
    static func pendingTOTP(userID: UInt64, in db: Transaction) throws -> PendingTOTP?
    static func deletePendingTOTP(userID: UInt64, in db: Transaction) throws
    /// Turns TOTP on with its first accepted time step; false when it already was on (a concurrent enable won).
    static func enableTOTP(userID: UInt64, sealedSecret: [UInt8], counter: UInt64, in db: Transaction) throws -> Bool
    /// Turns TOTP off, and SMS MFA with it (SMS needs TOTP).
    static func disableTOTP(userID: UInt64, in db: Transaction) throws
    /// The user's TOTP state; nil when TOTP is off.
    static func totpState(userID: UInt64, in db: Transaction) throws -> TOTPState?
    /// Records the time step of an accepted code (RFC 6238 §5.2: none at or below it is accepted again).
    static func recordTOTPCounter(userID: UInt64, counter: UInt64, in db: Transaction) throws
    /// Spends an unused backup code; false when unknown or already used.
    static func consumeBackupCode(userID: UInt64, codeHash: [UInt8], now: Int64, in db: Transaction) throws -> Bool
    /// Replaces every backup code of the user with `codeHashes`.
    static func replaceBackupCodes(userID: UInt64, codeHashes: [[UInt8]], in db: Transaction) throws
    static func deleteBackupCodes(userID: UInt64, in db: Transaction) throws
    /// The most failures any live, unspent code for (user, purpose, scope) has had (0 when none).
    static func liveSMSFailures(userID: UInt64, purpose: String, scope: String, now: Int64,
                     in db: Transaction) throws -> Int64
    /// Deletes every code for (user, purpose, scope).
    static func deleteSMSCodes(userID: UInt64, purpose: String, scope: String, in db: Transaction) throws
    static func insertSMSCode(userID: UInt64, purpose: String, scope: String, codeHash: [UInt8], now: Int64,
                     expiresAt: Int64, failedAttempts: Int64, in db: Transaction) throws
    /// The newest unspent code for (user, purpose, scope), expired or not.
    static func latestSMSCode(userID: UInt64, purpose: String, scope: String,
                     in db: Transaction) throws -> SMSCodeRecord?
    static func recordSMSFailure(id: Int64, in db: Transaction) throws
    /// Spends a code; false when another request already did.
    static func consumeSMSCode(id: Int64, now: Int64, in db: Transaction) throws -> Bool
    /// Turns SMS as a second factor on or off.
    static func setSMSMFA(userID: UInt64, enabled: Bool, in db: Transaction) throws
    /// Stores a proof that the user received a code at `phone`, redeemable once before `expiresAt`.
    static func insertPhoneToken(hash: [UInt8], userID: UInt64, phone: String, expiresAt: Int64,
                     in db: Transaction) throws
    /// Spends the user's phone token and returns its phone number; nil when unknown, foreign or expired (an
    /// expired one is spent all the same).
    static func spendPhoneToken(hash: [UInt8], userID: UInt64, now: Int64, in db: Transaction) throws -> String?
    static func setPhone(userID: UInt64, phone: String, in db: Transaction) throws
    /// Removes the phone number; SMS MFA goes with it.
    static func removePhone(userID: UInt64, in db: Transaction) throws
    static func insertTicket(hash: [UInt8], userID: UInt64, now: Int64, expiresAt: Int64, in db: Transaction) throws
    static func ticket(hash: [UInt8], in db: Transaction) throws -> MFATicketRecord?
    static func recordTicketFailure(hash: [UInt8], in db: Transaction) throws
    /// Deletes a ticket; false when another request already did.
    static func deleteTicket(hash: [UInt8], in db: Transaction) throws -> Bool
}

/// A server-generated TOTP secret (sealed) waiting for its first code.
package struct PendingTOTP {
    package var sealedSecret: [UInt8]
    package var expiresAt: Int64

    /// The memberwise initializer, visible to the other targets of the package.
    package init(sealedSecret: [UInt8], expiresAt: Int64) {
        self.sealedSecret = sealedSecret
        self.expiresAt = expiresAt
    }
}

/// The stored TOTP secret (sealed) and the last accepted time step.
package struct TOTPState {
    package var sealedSecret: [UInt8]
    package var lastCounter: Int64?

    /// The memberwise initializer, visible to the other targets of the package.
    package init(sealedSecret: [UInt8], lastCounter: Int64? = nil) {
        self.sealedSecret = sealedSecret
        self.lastCounter = lastCounter
    }
}

/// A stored SMS code.
package struct SMSCodeRecord {
    package var id: Int64
    package var codeHash: [UInt8]
    package var expiresAt: Int64
    package var failedAttempts: Int64

    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: Int64, codeHash: [UInt8], expiresAt: Int64, failedAttempts: Int64) {
        self.id = id
        self.codeHash = codeHash
        self.expiresAt = expiresAt
        self.failedAttempts = failedAttempts
    }
}

/// A stored login ticket.
package struct MFATicketRecord {
    package var userID: UInt64
    package var expiresAt: Int64
    package var failedAttempts: Int64?

    /// The memberwise initializer, visible to the other targets of the package.
    package init(userID: UInt64, expiresAt: Int64, failedAttempts: Int64? = nil) {
        self.userID = userID
        self.expiresAt = expiresAt
        self.failedAttempts = failedAttempts
    }
}
