import FluxerCrypto
import FluxerDomain
import FluxerPersistence
import HTTPServer
import SQLite

/// Changing the account's address (`PATCH /users/@me`): the new address must be proven before it takes effect
/// (a link to it; the link's token is also the real server's `email_token`), and the address it replaces is
/// sent a revert link (48 hours, the real server's lifetime) with which `POST /auth/email-revert` restores it
/// and shuts out whoever made the change.
extension Accounts {
    /// How long a change link works.
    package static let emailChangeLifetime: Int64 = 3_600_000
    /// How long a revert link works (real server: 48 hours); its address stays reserved meanwhile.
    package static let emailRevertLifetime: Int64 = 48 * 3_600_000

    package static let emailInUse = APIError.invalidField("email", "Email is already in use.", code: "EMAIL_ALREADY_IN_USE")
    package static let invalidEmailToken = APIError.invalidField("email_token", "Invalid or expired email token.", code: "INVALID_EMAIL_TOKEN")

    /// Mails a change link to `newEmail` (replacing any link still out); nothing changes until it is used.
    package func sendEmailChange(to user: User, newEmail: String, in db: SQLTransaction) throws {
        try EmailChangeStore.delete(userID: user.id, purpose: .change, in: db)
        let token = EmailToken.generate()
        let now = self.now
        try EmailChangeStore.insert(hash: SHA256.hash(Array(token.utf8)), userID: user.id, purpose: .change, email: newEmail, now: now,
                                    expiresAt: now + Self.emailChangeLifetime, in: db)
        let link = "\(context.config.effectivePublicURL)/verify#token=\(token)"
        try context.outbox.enqueue(OutboxMessage(channel: .email, recipient: newEmail, kind: "email_change", subject: "Confirm your new email address", body: """
            Hi \(user.username),

            Someone asked to use this address for your account. To confirm it, open the link below within one hour:

            \(link)

            Until then your account keeps its current address. If this was not you, ignore this message.
            """), in: db, now: now)
    }

    /// Spends a change link and makes the change; nil when `token` is not a live change link (of `userID`, when
    /// given).
    package func redeemEmailChange(_ token: String, userID expected: UInt64?, in db: SQLTransaction, invalidations: inout Invalidations) throws -> UInt64? {
        guard EmailToken.isWellFormed(token) else { return nil }
        let hash = SHA256.hash(Array(token.utf8))
        if let expected, try EmailChangeStore.owner(hash: hash, purpose: .change, now: now, in: db) != expected { return nil }
        guard let (userID, email) = try EmailChangeStore.consume(hash: hash, purpose: .change, now: now, in: db) else { return nil }
        try applyEmailChange(userID: userID, email: email, in: db, invalidations: &invalidations)
        return userID
    }

    /// Makes `email` the account's proven address; a proven address it replaces gets a revert link. Links for
    /// the old address (verification, password reset) and other change links are dropped. The caller audits
    /// `email.change` once the transaction commits.
    package func applyEmailChange(userID: UInt64, email: String, in db: SQLTransaction, invalidations: inout Invalidations) throws {
        let now = self.now
        guard let user = try UserStore.find(id: userID, in: db) else { throw Self.invalidEmailToken }
        guard try UserStore.isEmailAvailable(email, for: userID, now: now, in: db) else { throw Self.emailInUse }
        try UserStore.setEmail(userID: userID, email: email, verified: true, in: db)
        try EmailTokenStore.deleteVerificationTokens(userID: userID, in: db)
        try EmailTokenStore.deletePasswordResetTokens(userID: userID, in: db)
        try EmailChangeStore.delete(userID: userID, purpose: .change, in: db)
        if let old = user.email, user.verified, UserStore.emailKey(old) != UserStore.emailKey(email) {
            let token = EmailToken.generate()
            try EmailChangeStore.insert(hash: SHA256.hash(Array(token.utf8)), userID: userID, purpose: .revert, email: old, now: now,
                                        expiresAt: now + Self.emailRevertLifetime, in: db)
            let link = "\(context.config.effectivePublicURL)/wasntme#token=\(token)"
            try context.outbox.enqueue(OutboxMessage(channel: .email, recipient: old, kind: "email_revert", subject: "Your email address was changed", body: """
                Hi \(user.username),

                The email address of your account was changed from this address to \(email).

                If this was not you, open the link below within 48 hours to restore this address and choose a new
                password; every session and app signed in to the account is signed out:

                \(link)
                """), in: db, now: now)
        }
        invalidations.users.append(userID)
    }
}
