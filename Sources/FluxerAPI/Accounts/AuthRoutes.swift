import FluxerCrypto
import HTTPServer
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `/auth/*`: register, login, logout, sessions, email verification and password reset. Each endpoint reads
/// as: decode → ordered checks → act in one transaction → render. Password work runs on the hash pool
/// (deferred handlers), so no HTTP worker waits on argon2id.
package enum AuthRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking & Messaging

    package static func register(on router: inout Router, accounts: any AuthRoutes.Services) {
        router.addDeferred(.POST, "/auth/register") { request, writer in registerUser(request, writer, accounts) }
        router.addDeferred(.POST, "/auth/login") { request, writer in login(request, writer, accounts) }
        router.api(.POST, "/auth/logout") { request in logout(request, accounts) }
        router.api(.GET, "/auth/sessions") { request in try listSessions(request, accounts) }
        router.addDeferred(.POST, "/auth/sessions/logout") { request, writer in logoutSessions(request, writer, accounts) }
        router.api(.POST, "/auth/verify") { request in try verifyEmail(request, accounts) }
        router.api(.POST, "/auth/verify/resend") { request in try resendVerification(request, accounts) }
        router.addDeferred(.POST, "/auth/forgot") { request, writer in forgotPassword(request, writer, accounts) }
        router.addDeferred(.POST, "/auth/reset") { request, writer in resetPassword(request, writer, accounts) }
    }

    // MARK: - Register

    package struct RegisterBody: Decodable {
        package var email: String?
        package var username: String?
        package var global_name: String?
        package var password: String?
        package var date_of_birth: String?
        package var consent: Bool?
        package var invite_code: String?
    }

    package static func registerUser(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AuthRoutes.Services) {
        writer.respondAsync { finish in
            try accounts.refuseBots(request)
            try accounts.refuseLocalAuthWhenSSOEnforced()
            let body = try JSONBody.decode(RegisterBody.self, from: request)
            var errors: [FieldError] = []
            if let email = body.email, let e = AccountValidation.email(email) { errors.append(e) }
            if let password = body.password,
               let e = AccountValidation.newPassword(password, username: body.username, email: body.email, blocklist: accounts.context.config.passwordBlocklist) {
                errors.append(e)
            }
            if let username = body.username, let e = AccountValidation.username(username) { errors.append(e) }
            if let name = body.global_name, let e = AccountValidation.globalName(name) { errors.append(e) }
            if let e = AccountValidation.dateOfBirth(body.date_of_birth, now: accounts.now) { errors.append(e) }
            if body.consent != true {
                errors.append(FieldError(path: "consent", message: "You must agree to the Terms of Service.", code: "CONSENT_REQUIRED"))
            }
            guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }
            if let email = body.email, try accounts.context.database.read({ try UserStore.find(email: email, in: $0) }) != nil {
                throw emailInUse
            }
            let create: @Sendable (String?) throws -> HTTPResponse = { hash in
                try accounts.createAccount(body, passwordHash: hash, request: request)
            }
            guard let password = body.password else { return finish(try create(nil)) }
            try accounts.hashOnPool(password, reply: finish) { hash in
                finish(try create(hash))
            }
        }
    }

    package static let emailInUse = APIError.invalidField("email", "Email is already in use.", code: "EMAIL_ALREADY_IN_USE")

    // MARK: - Login

    package struct LoginBody: Decodable {
        package var email: String
        package var password: String
        package var invite_code: String?
    }

    package static let invalidCredentials = APIError.invalidFormBody([
        FieldError(path: "email", message: "Invalid email or password.", code: "INVALID_EMAIL_OR_PASSWORD"),
        FieldError(path: "password", message: "Invalid email or password.", code: "INVALID_EMAIL_OR_PASSWORD"),
    ])

    package static func login(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AuthRoutes.Services) {
        writer.respondAsync { finish in
            try accounts.refuseBots(request)
            try accounts.refuseLocalAuthWhenSSOEnforced()
            let body = try JSONBody.decode(LoginBody.self, from: request)
            // Length rules answer before any hashing (PW-06), as the real server's schema does.
            var errors: [FieldError] = []
            if !AccountValidation.emailLength.contains(AccountValidation.jsLength(body.email)) {
                errors.append(FieldError(path: "email", message: "Email must be between 1 and 254 characters.", code: "EMAIL_LENGTH_INVALID"))
            }
            if let e = AccountValidation.password(body.password) { errors.append(e) }
            guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }

            // Every attempt counts, before the password is checked (real server: login:email, login:ip).
            let user = try accounts.loginAttempt(email: body.email, request: request)
            if let user, user.isBot {
                throw APIError(.forbidden, code: "BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED", message: "Bot users cannot use this endpoint.")
            }
            // An unknown email is checked against the decoy hash: same cost, same answer.
            try accounts.verifyOnPool(body.password, against: user?.passwordHash, reply: finish) { ok in
                guard let user else {
                    accounts.audit.record("login.failure", outcome: "failure", request: request, detail: "unknown_email")
                    throw invalidCredentials
                }
                // A locked account pays the same hash and gets the same answer as a wrong password (LG-01, LG-03).
                guard ok, !user.isLocked(at: accounts.now) else {
                    try accounts.proofFailed(user, ok: ok, request: request, event: "login.failure")
                    throw invalidCredentials
                }
                finish(try accounts.completeLogin(user, password: body.password, request: request))
            }
        }
    }

    // MARK: - Logout and sessions

    /// Ends the calling session whatever the header prefix; always 204.
    package static func logout(_ request: HTTPRequest, _ accounts: any AuthRoutes.Services) -> HTTPResponse {
        if let hash = try? accounts.caller(request).presentedSessionHash {
            _ = try? accounts.write { db, invalidations in
                if try SessionStore.revoke(hash: hash, in: db) { invalidations.tokens.revoked(.session) }
                invalidations.credentials.append(hash)
            }
        }
        return .noContent
    }

    package static func listSessions(_ request: HTTPRequest, _ accounts: any AuthRoutes.Services) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        let now = accounts.now
        let sessions = try accounts.context.database.read { try SessionStore.list(userID: principal.user.id, in: $0) }
            .filter { !accounts.isExpired($0, now: now) }  // SE-07: an expired session is gone, whether or not pruned yet
        let items: [JSONValue] = sessions.map { s in
            let info = ClientInfo.parse(userAgent: s.userAgent, isDesktopApp: s.isDesktop)
            let lastUsed = JSONValue.string(ISO8601.format(milliseconds: s.lastUsedAt))
            return .object([
                ("id_hash", .string(s.idHash)),
                ("client_info", .object([
                    ("platform", .string(info.platform)),
                    ("os", .string(info.os)),
                    ("browser", info.browser.map(JSONValue.string) ?? .null),
                    ("device", .string(info.device)),
                    ("location", .null),
                ])),
                ("created_at", .string(ISO8601.format(milliseconds: s.createdAt))),
                ("last_used_at", lastUsed),
                ("approx_last_used_at", lastUsed),
                ("current", .bool(s.hash == principal.sessionHash)),
            ])
        }
        return .json(.ok, JSONValue.array(items))
    }

    package struct LogoutSessionsBody: Decodable {
        package var session_id_hashes: [String]
    }

    /// Sudo-protected: password proof for now (the MFA issue adds MFA proofs). Unknown hashes are ignored;
    /// only the caller's own sessions can be ended.
    package static func logoutSessions(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AuthRoutes.Services) {
        writer.respondAsync { finish in
            let principal = try accounts.requireUser(request, allowBots: false)
            let body = try JSONBody.decode(LogoutSessionsBody.self, from: request)
            guard body.session_id_hashes.count <= 100 else {
                throw APIError.invalidField("session_id_hashes", "At most 100 session hashes.", code: "STRING_LENGTH_INVALID")
            }
            let hashes = body.session_id_hashes.compactMap { Base64URL.decode($0) }.filter { $0.count == 32 }
            try accounts.requireSudo(principal, request: request, reply: finish) {
                try accounts.write { db, invalidations in
                    invalidations.tokens.revoked(.session, count: try SessionStore.revoke(hashes: hashes, ofUser: principal.user.id, in: db))
                    invalidations.credentials += hashes
                }
                accounts.audit.record("session.revoke", outcome: "success", userID: principal.user.id, request: request,
                                      detail: "count=\(hashes.count)")
                return .noContent
            }
        }
    }

    // MARK: - Email verification

    package struct TokenBody: Decodable {
        package var token: String
    }

    package static func verifyEmail(_ request: HTTPRequest, _ accounts: any AuthRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        let body = try JSONBody.decode(TokenBody.self, from: request)
        let invalid = APIError.invalidField("token", "Invalid or expired verification token.", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")
        let callerSession = try accounts.caller(request).presentedSessionHash
        // An email change link (`PATCH /users/@me {email}`) is opened on the same page: it proves the new address.
        let changed = try accounts.write { db, invalidations -> UInt64? in
            guard let (userID, email) = try accounts.consumeEmailToken(body.token, purpose: "verify_email", in: db) else {
                guard let changed = try accounts.redeemEmailChange(body.token, userID: nil, in: db, invalidations: &invalidations)
                else { throw invalid }
                return changed
            }
            guard let user = try UserStore.find(id: userID, in: db),
                  let current = user.email, UserStore.emailKey(current) == UserStore.emailKey(email)
            else { throw invalid }
            // The first proof of an address: opened with a session of this account, the registrant holds the
            // mailbox and nothing changes. Opened anywhere else, whoever holds the mailbox may not be whoever
            // registered (pre-account hijacking), so everything the registrant set up goes, password and
            // sessions included, as when SSO or a reset claims the account; the owner signs in through a reset.
            if !user.verified && !user.isBot {
                let registrant = try callerSession.flatMap { try SessionStore.lookup(hash: $0, in: db) }?.1.id == userID
                if !registrant {
                    try accounts.claimUnverifiedAccount(userID, reason: "verification_claimed_unverified_account", keepPassword: false,
                                                        request: request, in: db, invalidations: &invalidations)
                }
            }
            try UserStore.markVerified(userID: userID, in: db)
            try EmailTokenStore.deleteVerificationTokens(userID: userID, in: db)
            invalidations.users.append(userID)
            return nil
        }
        if let changed {
            accounts.audit.record("email.change", outcome: "success", userID: changed, request: request)
            accounts.deliveryNudge()
        }
        return .noContent
    }

    package static func resendVerification(_ request: HTTPRequest, _ accounts: any AuthRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        let principal = try accounts.requireUser(request)
        guard let email = principal.user.email else {
            throw APIError.invalidField("email", "This account has no email address.", code: "EMAIL_IS_REQUIRED")
        }
        guard !principal.user.verified else {
            // The document's shape: a validation error whose item carries ACCOUNT_ALREADY_VERIFIED.
            throw APIError.invalidField("email", "This account is already verified.", code: "ACCOUNT_ALREADY_VERIFIED")
        }
        try accounts.write { db, _ in try accounts.sendVerification(to: principal.user, email: email, in: db) }
        accounts.deliveryNudge()
        return .noContent
    }

    // MARK: - Password reset

    package struct ForgotBody: Decodable {
        package var email: String
    }

    /// Always 204 for a well-formed request, answered before the lookup so timing reveals nothing; throttled
    /// per email and client, per email and per client (429 carries no information about the account either).
    package static func forgotPassword(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AuthRoutes.Services) {
        writer.respondAsync { finish in
            try accounts.refuseBots(request)
            try accounts.refuseLocalAuthWhenSSOEnforced()
            let body = try JSONBody.decode(ForgotBody.self, from: request)
            if let e = AccountValidation.email(body.email) { throw APIError.invalidFormBody([e]) }
            // Per email from this client first, then the email's budget across clients (one client cannot fill
            // it, so an attacker cannot keep the owner from resetting), then the client.
            let keys = Accounts.emailKeys("forgot", email: body.email, request: request)
            let config = accounts.context.config
            try accounts.write { db, _ in
                try accounts.throttle([(keys.emailIP, config.forgotEmailIPLimit), (keys.email, config.forgotEmailLimit),
                                       (keys.ip, config.forgotIPLimit)], in: db)
            }
            finish(.noContent)
            let sent = try accounts.write { db, _ -> Bool in
                guard let user = try UserStore.find(email: body.email, in: db), !user.isBot, let email = user.email else { return false }
                try accounts.sendPasswordReset(to: user, email: email, in: db)
                return true
            }
            if sent { accounts.deliveryNudge() }
        }
    }

    package struct ResetBody: Decodable {
        package var token: String
        package var password: String
    }

    package static func resetPassword(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AuthRoutes.Services) {
        writer.respondAsync { finish in
            try accounts.refuseBots(request)
            try accounts.refuseLocalAuthWhenSSOEnforced()
            let body = try JSONBody.decode(ResetBody.self, from: request)
            if let e = AccountValidation.password(body.password) { throw APIError.invalidFormBody([e]) }
            let invalid = APIError.invalidField("token", "Invalid or expired reset token.", code: "INVALID_OR_EXPIRED_RESET_TOKEN")
            // Cheap early answer for a bad token; the token is consumed only in the final transaction.
            guard EmailToken.isWellFormed(body.token),
                  let owner = try accounts.context.database.read({ db -> User? in
                      guard let id = try EmailTokenStore.passwordResetOwner(hash: SHA256.hash(Array(body.token.utf8)), now: accounts.now, in: db)
                      else { return nil }
                      return try UserStore.find(id: id, in: db)
                  })
            else { throw invalid }
            // PW-03 with the account's own context words; checked before any hashing, and the token stays unused.
            if let e = AccountValidation.newPassword(body.password, username: owner.username, email: owner.email, blocklist: accounts.context.config.passwordBlocklist) {
                throw APIError.invalidFormBody([e])
            }
            try accounts.hashOnPool(body.password, reply: finish) { hash in
                let (user, token): (User, String) = try accounts.write { db, invalidations in
                    guard let (userID, _) = try accounts.consumeEmailToken(body.token, purpose: "password_reset", in: db),
                          var user = try UserStore.find(id: userID, in: db)
                    else { throw invalid }
                    // The link is the first proof of an address nobody had proven: whatever whoever registered it
                    // set up (second factors, passkeys, phone, sessions, grants, app secrets) is shut out first.
                    if !user.verified && !user.isBot {
                        try accounts.claimUnverifiedAccount(userID, reason: "password_reset_claimed_unverified_account", keepPassword: true,
                                                            request: request, in: db, invalidations: &invalidations)
                        user = try UserStore.find(id: userID, in: db) ?? user
                    }
                    try UserStore.setPassword(userID: userID, hash: hash, now: accounts.now, in: db)
                    // The link proved control of the address.
                    try UserStore.markVerified(userID: userID, in: db)
                    invalidations.tokens.revoked(.session, count: try SessionStore.revokeAll(userID: userID, in: db))
                    // A password reset also ends every OAuth2 grant (RT-07).
                    try OAuthStore.revokeAll(userID: userID, reason: "password_reset", now: accounts.now, in: db)
                    invalidations.tokens.revoked(.oauthGrant)
                    try EmailTokenStore.deletePasswordResetTokens(userID: userID, in: db)
                    // Waiting logins and changes in progress were started under the old password.
                    try IPAuthorizationStore.deletePending(userID: userID, in: db)
                    try PasswordChangeStore.deleteTickets(userID: userID, in: db)
                    invalidations.users.append(userID)
                    // Users with MFA still need their second factor (real server: reset answers the ticket shape).
                    if user.hasMFA { return (user, try MFATicket.issue(userID: userID, now: accounts.now, in: db)) }
                    try AccountLockout.recordSuccess(userID: userID, in: db)
                    return (user, try accounts.createSession(for: userID, request: request, in: db, &invalidations))
                }
                accounts.audit.record("password.reset", outcome: "success", userID: user.id, request: request)
                if user.hasMFA { return finish(MFATicket.response(ticket: token, user: user)) }
                finish(APIError.sessionResponse(userID: user.id, token: token))
            }
        }
    }
}
