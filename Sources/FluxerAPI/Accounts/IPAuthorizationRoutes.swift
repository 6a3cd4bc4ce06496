import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer

/// IP authorization's routes (fluxer-api.md §5 and §6, see `IPAuthorization`). They exist whether or not
/// `security.ip_authorization` is on; with it off no login waits, so a token or ticket is simply unknown.
package enum IPAuthorizationRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking & Messaging & IPAuthorizing

    package static func register(on router: inout Router, accounts: any IPAuthorizationRoutes.Services) {
        router.api(.POST, "/auth/authorize-ip") { request in try authorize(request, accounts) }
        router.api(.GET, "/auth/ip-authorization/poll") { request in try poll(request, accounts) }
        router.api(.POST, "/auth/ip-authorization/resend") { request in try resend(request, accounts) }
        router.addDeferred(.DELETE, "/users/@me/authorized-ips") { request, writer in forget(request, writer, accounts) }
    }

    // MARK: - POST /auth/authorize-ip {token}

    /// The emailed link: spends the token, authorizes the network of the login that asked, and leaves that login's
    /// result for its poll. Needs no credential (the token is one); 204.
    package static func authorize(_ request: HTTPRequest, _ accounts: any IPAuthorizationRoutes.Services) throws -> HTTPResponse {
        let body = try JSONBody.decode(AuthRoutes.TokenBody.self, from: request)
        guard IPAuthorization.isWellFormed(body.token) else { throw IPAuthorization.invalidToken }
        let now = accounts.now
        let approval = try accounts.write { db, _ -> IPAuthorizationStore.Approval in
            guard let approval = try IPAuthorizationStore.approve(tokenHash: IPAuthorization.hash(body.token), now: now,
                                                                  resultLifetime: IPAuthorization.resultLifetime, in: db)
            else { throw IPAuthorization.invalidToken }
            try IPAuthorizationStore.authorize(userID: approval.userID, ipKey: approval.ipKey, now: now, in: db)
            return approval
        }
        accounts.audit.record("ip_authorization.approved", outcome: "success", userID: approval.userID, request: request,
                              detail: approval.isTicketLive ? nil : "login_no_longer_waiting")
        return .noContent
    }

    // MARK: - GET /auth/ip-authorization/poll?ticket=

    /// `{completed: false}` while the link is unopened; `{completed: true, token, user_id}` once, within 60 s of
    /// the approval (the session is made here, by the waiting client); an unknown, expired or collected ticket
    /// answers 400.
    package static func poll(_ request: HTTPRequest, _ accounts: any IPAuthorizationRoutes.Services) throws -> HTTPResponse {
        let ticket = request.query.flatMap { query in FormURLEncoding.decode(query).first { $0.name == "ticket" }?.value }
        guard let ticket else {
            throw APIError.invalidField("ticket", "This field is required.", code: "BASE_TYPE_REQUIRED")
        }
        guard IPAuthorization.isWellFormed(ticket) else { throw IPAuthorization.invalidTicket }
        let hash = IPAuthorization.hash(ticket)
        let now = accounts.now
        guard let pending = try accounts.context.database.read({ try IPAuthorizationStore.pending(ticketHash: hash, in: $0) }),
              pending.expiresAt > now
        else { throw IPAuthorization.invalidTicket }
        guard pending.authorizedAt != nil else {
            guard pending.ticketExpiresAt > now else { throw IPAuthorization.invalidTicket }
            return .json(.ok, JSONValue.object([("completed", false)]))
        }
        let (userID, token) = try accounts.write { db, invalidations -> (UInt64, String) in
            guard let userID = try IPAuthorizationStore.claimResult(ticketHash: hash, now: now, in: db),
                  let user = try UserStore.find(id: userID, in: db), !user.isBot
            else { throw IPAuthorization.invalidTicket }
            try AccountLockout.recordSuccess(userID: userID, in: db)
            return (userID, try accounts.createSession(for: userID, request: request, in: db, &invalidations))
        }
        accounts.audit.record("login.success", outcome: "success", userID: userID, request: request, detail: "ip_authorization")
        return .json(.ok, JSONValue.object([("completed", true), ("token", .string(token)), ("user_id", .string(String(userID)))]))
    }

    // MARK: - POST /auth/ip-authorization/resend {ticket}

    /// Mails a fresh link (the first stops working): once per login, not before 30 s after it; 204.
    package static func resend(_ request: HTTPRequest, _ accounts: any IPAuthorizationRoutes.Services) throws -> HTTPResponse {
        let body = try JSONBody.decode(TicketBody.self, from: request)
        guard IPAuthorization.isWellFormed(body.ticket) else { throw IPAuthorization.invalidTicket }
        let hash = IPAuthorization.hash(body.ticket)
        let now = accounts.now
        guard let pending = try accounts.context.database.read({ try IPAuthorizationStore.pending(ticketHash: hash, in: $0) }),
              pending.authorizedAt == nil, pending.ticketExpiresAt > now, let email = pending.email
        else { throw IPAuthorization.invalidTicket }
        // The real server's order: the one resend used, then the cooldown.
        if pending.resent { throw IPAuthorization.resendLimitExceeded(retryAfterMilliseconds: pending.ticketExpiresAt - now) }
        let availableAt = pending.createdAt + IPAuthorization.resendDelay
        if availableAt > now { throw IPAuthorization.resendCooldown(remainingMilliseconds: availableAt - now) }
        let token = Base62.encode(randomCount: IPAuthorization.length)
        try accounts.write { db, _ in
            guard try IPAuthorizationStore.replaceToken(ticketHash: hash, tokenHash: IPAuthorization.hash(token), now: now,
                                                        createdNotAfter: now - IPAuthorization.resendDelay,
                                                        expiresAt: now + IPAuthorization.tokenLifetime, in: db)
            else {
                // Another request resent (or the link was opened) in between.
                throw IPAuthorization.resendLimitExceeded(retryAfterMilliseconds: pending.ticketExpiresAt - now)
            }
            try accounts.sendIPAuthorization(username: pending.username, email: email, token: token, clientIP: pending.clientIP, in: db)
        }
        accounts.deliveryNudge()
        accounts.audit.record("ip_authorization.resend", outcome: "success", userID: pending.userID, request: request)
        return .noContent
    }

    package struct TicketBody: Decodable {
        package var ticket: String
    }

    // MARK: - DELETE /users/@me/authorized-ips

    /// Forgets every network the user was authorized from (and the logins waiting for a link): with the feature
    /// on, the next password login from anywhere asks again. Users only (bots 403), sudo; 204.
    package static func forget(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any IPAuthorizationRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            try accounts.requireSudo(principal, request: request, reply: reply) {
                let forgotten = try accounts.write { db, _ in try IPAuthorizationStore.forgetAll(userID: principal.user.id, in: db) }
                accounts.audit.record("ip_authorization.forget_all", outcome: "success", userID: principal.user.id, request: request,
                                      detail: "count=\(forgotten)")
                return .noContent
            }
        }
    }
}
