import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer

/// `/users/@me/password-change/{start,resend,verify,complete}` (see `PasswordChange`). Users only: bots and
/// OAuth2 bearer tokens get 403 `ACCESS_DENIED` (the real server's `DefaultUserOnly`). A ticket belongs to the
/// user who started it; another user's ticket is an unknown one.
package enum PasswordChangeRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking & Messaging

    package static func register(on router: inout Router, accounts: any PasswordChangeRoutes.Services) {
        router.api(.POST, "/users/@me/password-change/start") { request in try start(request, accounts) }
        router.api(.POST, "/users/@me/password-change/resend") { request in try resend(request, accounts) }
        router.api(.POST, "/users/@me/password-change/verify") { request in try verify(request, accounts) }
        router.addDeferred(.POST, "/users/@me/password-change/complete") { request, writer in complete(request, writer, accounts) }
    }

    /// `EmptyBodyRequest`: a JSON object (its members are ignored; no body or anything else is a 400).
    package struct EmptyBody: Decodable {
        private struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        package init(from decoder: any Decoder) throws {
            _ = try decoder.container(keyedBy: AnyKey.self)
        }
    }

    // MARK: - start

    /// Mails a code to the account's address → `{ticket, code_expires_at, resend_available_at}`.
    package static func start(_ request: HTTPRequest, _ accounts: any PasswordChangeRoutes.Services) throws -> HTTPResponse {
        let user = try accounts.requireUser(request, allowBots: false).user
        // The document requires the body (`EmptyBodyRequest`, `{}`): none at all is a 400, like any malformed one.
        _ = try JSONBody.decode(EmptyBody.self, from: request)
        guard let email = user.email else { throw PasswordChange.noEmail }
        let ticket = Base62.encode(randomCount: PasswordChange.length)
        let ticketHash = PasswordChange.hash(ticket)
        let code = PasswordChange.generateCode()
        let now = accounts.now
        let expiresAt = now + PasswordChange.ticketLifetime
        let codeExpiresAt = now + PasswordChange.codeLifetime
        try accounts.write { db, _ in
            try accounts.throttle([("password_change:start:\(user.id)", PasswordChange.startLimit)], in: db)
            try PasswordChangeStore.insert(ticketHash: ticketHash, userID: user.id,
                                           codeHash: PasswordChange.codeHash(code, ticketHash: ticketHash, keys: accounts.mfaKeys),
                                           now: now, codeExpiresAt: codeExpiresAt, expiresAt: expiresAt, in: db)
            try accounts.sendPasswordChangeCode(username: user.username, email: email, code: code, in: db)
        }
        accounts.deliveryNudge()
        accounts.audit.record("password_change.start", outcome: "success", userID: user.id, request: request)
        return .json(.ok, JSONValue.object([
            ("ticket", .string(ticket)),
            ("code_expires_at", .string(ISO8601.format(milliseconds: codeExpiresAt))),
            ("resend_available_at", .string(ISO8601.format(milliseconds: now + PasswordChange.resendDelay))),
        ]))
    }

    /// The caller's live ticket, or the error the real server gives: unknown, expired or another user's →
    /// `INVALID_OR_EXPIRED_TICKET`; completed → `TICKET_ALREADY_COMPLETED`.
    private static func ownTicket(_ ticket: String, of user: User, _ accounts: any PasswordChangeRoutes.Services)
        throws -> (hash: [UInt8], ticket: PasswordChangeStore.Ticket) {
        guard PasswordChange.isWellFormed(ticket) else { throw PasswordChange.invalidTicket }
        let hash = PasswordChange.hash(ticket)
        guard let stored = try accounts.context.database.read({ try PasswordChangeStore.ticket(hash: hash, in: $0) }),
              stored.userID == user.id, stored.expiresAt > accounts.now
        else { throw PasswordChange.invalidTicket }
        if stored.status == "completed" { throw PasswordChange.ticketCompleted }
        return (hash, stored)
    }

    // MARK: - resend {ticket}

    /// Mails a new code (the previous one stops working) once 30 s have passed since the last; 204.
    package static func resend(_ request: HTTPRequest, _ accounts: any PasswordChangeRoutes.Services) throws -> HTTPResponse {
        let user = try accounts.requireUser(request, allowBots: false).user
        let body = try JSONBody.decode(IPAuthorizationRoutes.TicketBody.self, from: request)
        let (hash, stored) = try ownTicket(body.ticket, of: user, accounts)
        guard stored.status == "pending" else { throw PasswordChange.invalidTicket }
        guard let email = user.email else { throw PasswordChange.noEmail }
        let now = accounts.now
        let availableAt = stored.codeSentAt + PasswordChange.resendDelay
        if availableAt > now { throw APIError.rateLimited(retryAfterMilliseconds: availableAt - now) }
        let code = PasswordChange.generateCode()
        try accounts.write { db, _ in
            try accounts.throttle([("password_change:resend:\(user.id)", PasswordChange.resendLimit)], in: db)
            guard try PasswordChangeStore.replaceCode(
                ticketHash: hash, userID: user.id, codeHash: PasswordChange.codeHash(code, ticketHash: hash, keys: accounts.mfaKeys), now: now,
                codeExpiresAt: min(now + PasswordChange.codeLifetime, stored.expiresAt), sentNotAfter: now - PasswordChange.resendDelay, in: db)
            else { throw APIError.rateLimited(retryAfterMilliseconds: PasswordChange.resendDelay) }  // another resend won the race
            try accounts.sendPasswordChangeCode(username: user.username, email: email, code: code, in: db)
        }
        accounts.deliveryNudge()
        accounts.audit.record("password_change.resend", outcome: "success", userID: user.id, request: request)
        return .noContent
    }

    // MARK: - verify {ticket, code}

    package struct VerifyBody: Decodable {
        package var ticket: String
        package var code: String
    }

    /// Spends the emailed code → `{verification_proof}`. A wrong code counts against it (5 and it is dead);
    /// a spent, expired or dead code answers its own error and changes nothing.
    package static func verify(_ request: HTTPRequest, _ accounts: any PasswordChangeRoutes.Services) throws -> HTTPResponse {
        let user = try accounts.requireUser(request, allowBots: false).user
        let body = try JSONBody.decode(VerifyBody.self, from: request)
        let (hash, stored) = try ownTicket(body.ticket, of: user, accounts)
        guard stored.status == "pending", let expected = stored.codeHash else { throw PasswordChange.codeNotIssued }
        let now = accounts.now
        guard stored.codeExpiresAt > now, stored.codeFailures < PasswordChange.maxCodeFailures else { throw PasswordChange.codeExpired }
        let code = body.code.trimmingASCIIWhitespace()
        guard code.utf8.count <= PasswordChange.maxCodeLength,
              ConstantTime.equals(PasswordChange.codeHash(code, ticketHash: hash, keys: accounts.mfaKeys), expected)
        else {
            try accounts.write { db, _ in try PasswordChangeStore.recordCodeFailure(ticketHash: hash, in: db) }
            accounts.audit.record("password_change.verify", outcome: "failure", userID: user.id, request: request)
            throw PasswordChange.invalidCode
        }
        let proof = Base62.encode(randomCount: PasswordChange.length)
        let verified = try accounts.write { db, _ in
            try PasswordChangeStore.verify(ticketHash: hash, userID: user.id, codeHash: expected, proofHash: PasswordChange.hash(proof),
                                           maxFailures: PasswordChange.maxCodeFailures, now: now, in: db)
        }
        // Another request spent the code (or a resend replaced it) in between.
        guard verified else { throw PasswordChange.codeNotIssued }
        accounts.audit.record("password_change.verify", outcome: "success", userID: user.id, request: request)
        return .json(.ok, JSONValue.object([("verification_proof", .string(proof))]))
    }

    // MARK: - complete {ticket, verification_proof, new_password, …sudo}

    package struct CompleteBody: Decodable {
        package var ticket: String
        package var verification_proof: String
        package var new_password: String
    }

    /// Spends the proof and sets the new password (length and PW-03 rules), after sudo (PW-08); then every
    /// session and OAuth2 grant of the user ends and one new session begins → 204 with its token in
    /// `X-Fluxer-New-Token`. Nothing changes on any refusal.
    package static func complete(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any PasswordChangeRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            let user = principal.user
            let body = try JSONBody.decode(CompleteBody.self, from: request)
            if let e = AccountValidation.password(body.new_password, path: "new_password") { throw APIError.invalidFormBody([e]) }
            let (hash, stored) = try ownTicket(body.ticket, of: user, accounts)
            guard stored.status == "verified", let expectedProof = stored.proofHash else { throw PasswordChange.invalidTicket }
            let proofHash = PasswordChange.hash(body.verification_proof)
            guard body.verification_proof.utf8.count <= PasswordChange.length, ConstantTime.equals(proofHash, expectedProof)
            else { throw PasswordChange.invalidProof }
            if let e = AccountValidation.newPassword(body.new_password, username: user.username, email: user.email,
                                                     blocklist: accounts.context.config.passwordBlocklist, path: "new_password") {
                throw APIError.invalidFormBody([e])
            }
            // Hashing first is no amplification: only a session holding a proof from the mailbox gets here.
            try accounts.hashOnPool(body.new_password, reply: reply) { newHash in
                try accounts.requireSudo(principal, request: request, reply: reply, issueToken: false) {
                    let token = try accounts.write { db, invalidations in
                        let now = accounts.now
                        guard try PasswordChangeStore.complete(ticketHash: hash, userID: user.id, proofHash: proofHash, now: now, in: db)
                        else { throw PasswordChange.invalidTicket }
                        try UserStore.setPassword(userID: user.id, hash: newHash, now: now, in: db)
                        invalidations.tokens.revoked(.session, count: try SessionStore.revokeAll(userID: user.id, in: db))
                        try OAuthStore.revokeAll(userID: user.id, reason: "password_change", now: now, in: db)
                        invalidations.tokens.revoked(.oauthGrant)
                        try PasswordChangeStore.deleteTickets(userID: user.id, keeping: hash, in: db)
                        try IPAuthorizationStore.deletePending(userID: user.id, in: db)
                        invalidations.users.append(user.id)
                        return try accounts.createSession(for: user.id, request: request, in: db, &invalidations)
                    }
                    accounts.audit.record("password.change", outcome: "success", userID: user.id, request: request)
                    return PasswordChange.completed(token: token)
                }
            }
        }
    }
}
