import FluxerCrypto
import FluxerPersistence
import SQLite
import FluxerDomain

/// The emails accounts send: a single-use token (stored hashed) and a link to it, queued in the outbox inside
/// the caller's transaction so the message exists exactly when the token does.
extension Accounts {
    package static let verificationLifetime: Int64 = 24 * 3_600_000
    package static let resetLifetime: Int64 = 3_600_000

    /// Creates an email-verification token for `email` and queues the message.
    package func sendVerification(to user: User, email: String, in db: SQLTransaction) throws {
        let token = try issueEmailToken(userID: user.id, purpose: "verify_email", email: email, lifetime: Self.verificationLifetime, in: db)
        let link = "\(context.config.effectivePublicURL)/verify#token=\(token)"
        try enqueueEmail(to: email, kind: "verify_email", subject: "Verify your email address", body: """
            Hi \(user.username),

            Confirm this email address for your account by opening the link below within 24 hours:

            \(link)

            If you did not create an account, you can ignore this message.
            """, in: db)
    }

    /// Creates a password-reset token and queues the message.
    package func sendPasswordReset(to user: User, email: String, in db: SQLTransaction) throws {
        let token = try issueEmailToken(userID: user.id, purpose: "password_reset", email: email, lifetime: Self.resetLifetime, in: db)
        let link = "\(context.config.effectivePublicURL)/reset#token=\(token)"
        try enqueueEmail(to: email, kind: "password_reset", subject: "Reset your password", body: """
            Hi \(user.username),

            Someone asked to reset the password of your account. To choose a new password, open the link below
            within one hour. It works once.

            \(link)

            If this was not you, ignore this message: your password stays as it is.
            """, in: db)
    }

    /// Queues the link that authorizes a new network for a password login (`security.ip_authorization`).
    package func sendIPAuthorization(username: String, email: String, token: String, clientIP: String, in db: SQLTransaction) throws {
        let link = "\(context.config.effectivePublicURL)/authorize-ip#token=\(token)"
        try enqueueEmail(to: email, kind: "ip_authorization", subject: "Approve a sign-in from a new location", body: """
            Hi \(username),

            Someone signed in to your account with your password from a network it has not been used from before
            (IP address \(clientIP)). If this was you, open the link below within 30 minutes to approve it:

            \(link)

            If this was not you, do not open the link: change your password, as someone else knows it.
            """, in: db)
    }

    /// Queues the code that confirms a password change (`/users/@me/password-change/start` and `…/resend`).
    package func sendPasswordChangeCode(username: String, email: String, code: String, in db: SQLTransaction) throws {
        try enqueueEmail(to: email, kind: "password_change_verification", subject: "Your password change code", body: """
            Hi \(username),

            Enter this code to confirm the change of your account's password. It works once, for 10 minutes:

            \(code)

            If you did not ask to change your password, someone may be signed in to your account: sign out
            everywhere and change your password.
            """, in: db)
    }

    private func issueEmailToken(userID: UInt64, purpose: String, email: String, lifetime: Int64, in db: SQLTransaction) throws -> String {
        let token = EmailToken.generate()
        let now = self.now
        try EmailTokenStore.insert(hash: SHA256.hash(Array(token.utf8)), userID: userID, purpose: purpose, email: email, now: now,
                                   expiresAt: now + lifetime, in: db)
        return token
    }

    /// Consumes a token: deletes it and returns (user id, email) when it was valid, unexpired and of `purpose`.
    /// Single use even under concurrency: the store spends it in the statement that reads it.
    package func consumeEmailToken(_ token: String, purpose: String, in db: SQLTransaction) throws -> (userID: UInt64, email: String)? {
        guard EmailToken.isWellFormed(token) else { return nil }
        guard let redeemed = try EmailTokenStore.consume(hash: SHA256.hash(Array(token.utf8)), purpose: purpose, now: now, in: db)
        else { return nil }
        return (redeemed.userID, redeemed.email)
    }

    private func enqueueEmail(to recipient: String, kind: String, subject: String, body: String, in db: SQLTransaction) throws {
        try context.outbox.enqueue(OutboxMessage(channel: .email, recipient: recipient, kind: kind, subject: subject, body: body),
                                   in: db, now: now)
    }
}
