import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer
import SQLite

/// IP authorization, the real server's flow (fluxer-api.md §5, `AuthLoginService`), behind
/// `security.ip_authorization`: a correct password from a network the account was never authorized from, for a
/// user without MFA, answers 403 `IP_AUTHORIZATION_REQUIRED` with a ticket and emails a link
/// `<public_url>/authorize-ip#token=…`. Opening it (`POST /auth/authorize-ip`) authorizes the network, and the
/// waiting client's poll (`GET /auth/ip-authorization/poll`) collects a session, once, within 60 s.
///
/// What is stored: a network as an HMAC (server key) of the user id and the address (IPv6 by its /64, so privacy
/// addresses do not ask again every day), never the address; ticket and token as SHA-256 (64 base62 characters,
/// ~381 bits each). The real server caches the session token for the poll; here the approval only marks the row,
/// and the poll deletes it and makes the session in the same transaction, so no session token is ever at rest.
package enum IPAuthorization {
    /// How long the login waits for its link (the real server's ticket cache, 15 minutes).
    package static let ticketLifetime: Int64 = 15 * 60_000
    /// How long the emailed link works (the real server's database token, 30 minutes): opened after the login
    /// stopped waiting, it still authorizes the network for the next login.
    package static let tokenLifetime: Int64 = 30 * 60_000
    /// How long an approved login's result waits for its poll (the real server's `ip-auth-result`, 60 s).
    package static let resultLifetime: Int64 = 60_000
    /// The one resend comes at least this long after the login (`resend_available_in: 30`).
    package static let resendDelay: Int64 = 30_000
    /// Ticket and token length, base62 characters.
    package static let length = 64

    package static func hash(_ value: String) -> [UInt8] { SHA256.hash(Array(value.utf8)) }

    /// 64 base62 characters: anything else is refused before any database read.
    package static func isWellFormed(_ value: String) -> Bool { value.utf8.count == length && Base62.isValid(value) }

    /// The login answer for a network not yet authorized (the real server's `IpAuthorizationRequiredError`).
    package static func required(ticket: String, email: String) -> APIError {
        APIError(.forbidden, code: "IP_AUTHORIZATION_REQUIRED", message: "IP authorization is required.", extra: [
            ("ip_authorization_required", true), ("ticket", .string(ticket)), ("email", .string(email)),
            ("resend_available_in", .int(resendDelay / 1000)),
        ])
    }

    /// An unknown, spent or expired link (`InputValidationError` on `token`).
    package static let invalidToken = APIError.invalidField("token", "Invalid or expired authorization token.",
                                                            code: "INVALID_OR_EXPIRED_AUTHORIZATION_TOKEN")
    /// An unknown, collected or expired ticket.
    package static let invalidTicket = APIError.invalidField("ticket", "Invalid or expired authorization ticket.",
                                                             code: "INVALID_OR_EXPIRED_AUTHORIZATION_TICKET")

    /// 429 before the resend is allowed: the real server's `resend_available_in`, plus the `retry_after` and
    /// `Retry-After` every 429 of ours carries (same whole seconds, at least 1).
    package static func resendCooldown(remainingMilliseconds ms: Int64) -> APIError {
        let seconds = max(1, (ms + 999) / 1000)
        return APIError(.tooManyRequests, code: "IP_AUTHORIZATION_RESEND_COOLDOWN", message: "IP authorization resend is on cooldown.",
                        extra: [("resend_available_in", .int(seconds)), ("retry_after", .int(seconds))],
                        headers: ["Retry-After": String(seconds)])
    }

    /// 429 after the one resend; `retry_after` is when the ticket ends (no resend before then).
    package static func resendLimitExceeded(retryAfterMilliseconds ms: Int64) -> APIError {
        let seconds = max(1, (ms + 999) / 1000)
        return APIError(.tooManyRequests, code: "IP_AUTHORIZATION_RESEND_LIMIT_EXCEEDED", message: "IP authorization resend limit exceeded.",
                        extra: [("retry_after", .int(seconds))], headers: ["Retry-After": String(seconds)])
    }
}

extension Accounts {
    /// The keyed hash that stands for `address` (an IPv6 address by its /64) in `userID`'s authorized networks.
    package func authorizedIPKey(userID: UInt64, address: String) -> [UInt8] {
        HMAC.sha256(key: ipAuthorizationKey, message: Array("\(userID)|\(ClientKey.of(address))".utf8))
    }

    /// Whether a correct password from this request still needs the emailed approval: the feature is on, the
    /// user has no MFA (a second factor already proves more than a network) and the network is new.
    package func needsIPAuthorization(_ user: User, request: HTTPRequest) throws -> Bool {
        guard context.config.ipAuthorization, !user.hasMFA, !user.isBot, user.email != nil else { return false }
        let key = authorizedIPKey(userID: user.id, address: request.remoteAddress)
        return try !context.database.read { try IPAuthorizationStore.isAuthorized(userID: user.id, ipKey: key, in: $0) }
    }

    /// Records a waiting login and mails its link, in the caller's transaction; returns the ticket.
    package func issueIPAuthorization(_ user: User, email: String, request: HTTPRequest, in db: SQLTransaction) throws -> String {
        let ticket = Base62.encode(randomCount: IPAuthorization.length)
        let token = Base62.encode(randomCount: IPAuthorization.length)
        let now = self.now
        try IPAuthorizationStore.insertPending(
            ticketHash: IPAuthorization.hash(ticket), tokenHash: IPAuthorization.hash(token), userID: user.id,
            ipKey: authorizedIPKey(userID: user.id, address: request.remoteAddress), clientIP: request.remoteAddress, now: now,
            ticketExpiresAt: now + IPAuthorization.ticketLifetime, expiresAt: now + IPAuthorization.tokenLifetime, in: db)
        try sendIPAuthorization(username: user.username, email: email, token: token, clientIP: request.remoteAddress, in: db)
        return ticket
    }

    /// Authorizes the request's network for a new account (the real server's registration does the same).
    package func authorizeRegistrationNetwork(userID: UInt64, request: HTTPRequest, in db: SQLTransaction) throws {
        try IPAuthorizationStore.authorize(userID: userID, ipKey: authorizedIPKey(userID: userID, address: request.remoteAddress), now: now, in: db)
    }
}
