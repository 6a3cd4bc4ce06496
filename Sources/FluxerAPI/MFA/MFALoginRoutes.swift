import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain

/// The second login step: `/auth/login/mfa/*` with the ticket from `POST /auth/login`. A success consumes the
/// ticket and answers `{token, user_id}`; a wrong code burns one of the ticket's five attempts.
package enum MFALoginRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking & Messaging

    package static func register(on router: inout Router, accounts: any MFALoginRoutes.Services) {
        router.api(.POST, "/auth/login/mfa/totp") { request in try completeWithCode(request, accounts, method: .totp) }
        router.api(.POST, "/auth/login/mfa/sms") { request in try completeWithCode(request, accounts, method: .sms) }
        router.api(.POST, "/auth/login/mfa/sms/send") { request in try sendSMS(request, accounts) }
    }

    package struct CodeBody: Decodable {
        package var code: String
        package var ticket: String
    }

    package struct TicketBody: Decodable {
        package var ticket: String
    }

    package enum Outcome {
        case session(userID: UInt64, token: String)
        case refused(APIError)
    }

    package static func completeWithCode(_ request: HTTPRequest, _ accounts: any MFALoginRoutes.Services, method: MFAMethod) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        let body = try JSONBody.decode(CodeBody.self, from: request)
        guard body.code.utf8.count <= 32 else { throw MFATicket.invalidCode }
        let factor = SecondFactor(keys: accounts.mfaKeys, now: accounts.now)
        // Decided inside one transaction (single use under concurrency), thrown after commit so a failed
        // attempt is still counted.
        let outcome = try accounts.write { db, invalidations -> Outcome in
            guard let userID = try MFATicket.user(of: body.ticket, now: accounts.now, in: db),
                  let user = try UserStore.find(id: userID, in: db)
            else { return .refused(MFATicket.timeout()) }
            // A locked account is refused like a wrong code (LG-01).
            if user.isLocked(at: accounts.now) {
                try MFATicket.recordFailure(body.ticket, in: db)
                return .refused(MFATicket.invalidCode)
            }
            let accepted: Bool
            switch method {
            case .totp:
                accepted = user.totpEnabled ? try factor.verifyTOTPOrBackup(body.code, userID: userID, in: db) : false
            case .sms:
                let smsOn = user.smsMFAEnabled && user.totpEnabled
                accepted = smsOn ? try factor.verifySMSCode(body.code, userID: userID, purpose: "login",
                                                            scope: Base64URL.encode(MFATicket.hash(body.ticket)), in: db) == .accepted : false
            case .webauthn:
                accepted = false
            }
            guard accepted else {
                try MFATicket.recordFailure(body.ticket, in: db)
                try AccountLockout.recordFailure(userID: userID, now: accounts.now, policy: accounts.lockoutPolicy, in: db)
                accounts.audit.record("mfa.failure", outcome: "failure", userID: userID, request: request, detail: method.rawValue)
                accounts.context.metrics.login(.mfaFailure)
                return .refused(MFATicket.invalidCode)
            }
            guard try MFATicket.consume(body.ticket, in: db) else { return .refused(MFATicket.timeout()) }
            try AccountLockout.recordSuccess(userID: userID, in: db)
            accounts.audit.record("login.success", outcome: "success", userID: userID, request: request, detail: method.rawValue)
            return .session(userID: userID, token: try accounts.createSession(for: userID, request: request, in: db, &invalidations))
        }
        switch outcome {
        case .refused(let error): throw error
        case .session(let userID, let token):
            return APIError.sessionResponse(userID: userID, token: token)
        }
    }

    /// Sends a login code to the account's phone (SMS MFA must be on); throttled per user.
    package static func sendSMS(_ request: HTTPRequest, _ accounts: any MFALoginRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        let body = try JSONBody.decode(TicketBody.self, from: request)
        try accounts.write { db, _ in
            guard let userID = try MFATicket.user(of: body.ticket, now: accounts.now, in: db),
                  let user = try UserStore.find(id: userID, in: db)
            else { throw MFATicket.timeout(path: "ticket") }
            guard user.smsMFAEnabled, user.totpEnabled, let phone = user.phone else {
                throw APIError(.badRequest, code: "SMS_MFA_NOT_ENABLED", message: "SMS MFA is not enabled for this account.")
            }
            try accounts.throttle([("sms:user:\(userID)", accounts.context.config.smsSendLimit)], in: db)
            let code = try SecondFactor(keys: accounts.mfaKeys, now: accounts.now)
                .issueSMSCode(userID: userID, purpose: "login", scope: Base64URL.encode(MFATicket.hash(body.ticket)), in: db)
            try accounts.sendSMS(to: phone, kind: "sms_login_code", code: code, request: request, in: db)
        }
        accounts.deliveryNudge()
        return .noContent
    }
}

extension Accounts {
    /// Queues a text message with a code. Every send, whatever the route, counts against the sending client
    /// (IPv6 by /64) and the whole instance besides the callers' per-user and per-number limits (SM-03: toll
    /// fraud and cost); over either, 429 and the transaction (with the code it issued) rolls back.
    package func sendSMS(to phone: String, kind: String, code: String, request: HTTPRequest, in db: SQLTransaction) throws {
        try throttle([("sms:ip:" + ClientKey.of(request.remoteAddress), context.config.smsSendIPLimit),
                      ("sms:global", context.config.smsSendGlobalLimit)], in: db)
        try context.outbox.enqueue(OutboxMessage(channel: .sms, recipient: phone, kind: kind,
                                                 body: "Your Fluxer code is \(code). It expires in 10 minutes. Never share it."),
                                   in: db, now: now)
    }
}
