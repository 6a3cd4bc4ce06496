import HTTPServer
import FluxerPersistence
import SQLite

extension Accounts {
    /// Pre-account hijacking: someone may register an address before its owner does and set up ways in of their
    /// own. When the owner first proves the address — a reset link, a verification link opened without the
    /// registrant's session, or an SSO provider that vouches for it — whatever the registrant set up is shut
    /// out before the account is handed over. The one list, for every such path:
    /// - the password (unless `keepPassword`: a reset sets its own right after), security keys and passkeys,
    ///   TOTP, SMS and backup codes, the phone, pending MFA set-ups, tickets, challenges and SMS codes;
    /// - every session, and every OAuth2 grant, unused authorization code and consent;
    /// - email links still out, and SSO identities linked so far;
    /// - the client secrets and bot tokens of the account's applications (replaced: the applications stay the
    ///   account's; the owner resets them again to see new ones).
    /// The address is then marked verified. Runs inside the caller's transaction; audited as
    /// `account.claimed_unverified` with `reason`.
    package func claimUnverifiedAccount(_ userID: UInt64, reason: String, keepPassword: Bool, request: HTTPRequest?, in db: SQLTransaction, invalidations: inout Invalidations) throws {
        let now = self.now
        try UserStore.shutOutRegistrant(userID: userID, keepPassword: keepPassword, in: db)
        for app in try ApplicationStore.list(ownerID: userID, in: db) {
            _ = try ApplicationStore.resetClientSecret(id: app.id, now: now, in: db)
            _ = try ApplicationStore.resetBotToken(id: app.id, keys: botKeys.signing(now: now), now: now, in: db)
            invalidations.users.append(app.id)
            invalidations.tokens.revoked(.bot)
        }
        invalidations.tokens.revoked(.session, count: try SessionStore.revokeAll(userID: userID, in: db))
        try OAuthStore.revokeAll(userID: userID, reason: reason, now: now, in: db)
        invalidations.tokens.revoked(.oauthGrant)
        invalidations.users.append(userID)
        audit.record("account.claimed_unverified", outcome: "success", userID: userID, request: request, detail: reason)
    }
}
