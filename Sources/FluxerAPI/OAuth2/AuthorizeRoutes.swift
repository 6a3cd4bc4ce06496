import FluxerCrypto
import FoundationEssentials
import HTTPServer
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// The authorization endpoint as a browser sees it: `GET /oauth2/authorize` (login form or consent page),
/// `POST /oauth2/authorize/login`, `POST /oauth2/authorize/decision`, and the JSON `POST /oauth2/authorize/consent`
/// the real web app uses.
package enum AuthorizeRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SudoChecking & SessionIssuing & Messaging

    package static func register(on router: inout Router, accounts: any AuthorizeRoutes.Services, sso: SSOService) {
        let web = WebSession(config: accounts.context.config, secret: accounts.context.secretKey, sso: sso.isEnabled ? sso : nil)
        let grants = OAuthGrants(accounts: accounts)
        router.api(.GET, "/oauth2/authorize") { request in
            try show(pairs: request.queryItems, request: request, accounts: accounts, web: web, grants: grants)
        }
        router.addDeferred(.POST, "/oauth2/authorize/login") { request, writer in
            login(request, writer, accounts, web)
        }
        router.api(.POST, "/oauth2/authorize/sso") { request in
            try ssoStart(request, accounts, web)
        }
        router.api(.GET, "/auth/sso/callback") { request in
            try sso.callback(request, web: web)
        }
        router.api(.POST, "/oauth2/authorize/mfa") { request in
            try mfaStep(request, accounts, web)
        }
        router.api(.POST, "/oauth2/authorize/decision") { request in
            try decide(request, accounts, web, grants)
        }
        router.api(.POST, "/oauth2/authorize/consent") { request in
            try consentAPI(request, accounts, grants)
        }
        // On a worker (not the event loop) because it is rate limited (`RequestFilters`).
        router.add(.GET, "/oauth2/authorized") { _ in
            WebPage.render(title: "Authorized", body: "<h1>All set</h1><p>The application was authorized. You can close this window.</p>")
        }
        router.add(.GET, WebAuthnScript.path, runsOnEventLoop: true) { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=86400",
                                                "X-Content-Type-Options": "nosniff"], body: Array(WebAuthnScript.source.utf8))
        }
        router.add(.GET, "/oauth2/assets/authorize.css", runsOnEventLoop: true) { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=86400",
                                                "X-Content-Type-Options": "nosniff"], body: Array(WebPage.stylesheet.utf8))
        }
    }

    // MARK: - The page

    /// Validates the request, then shows the login form, the consent page, or (prompt=none) answers at once.
    package static func show(pairs: [(name: String, value: String)], request: HTTPRequest, accounts: any AuthorizeRoutes.Services, web: WebSession,
                     grants: OAuthGrants, loginError: String? = nil) throws -> HTTPResponse {
        let parsed = try accounts.context.database.read { try AuthorizeRequest.parse(pairs, config: accounts.context.config, in: $0) }
        let principal = try webPrincipal(request, accounts, web)
        let authorize: AuthorizeRequest
        switch parsed {
        case .failure(let failure):
            // Errors are redirected to the client only once the user has signed in, or for prompt=none (AZ-06).
            let signedIn = principal != nil || AuthorizeRequest.asksNoPrompt(pairs)
            return respond(signedIn ? failure : failure.beforeSignIn, accounts, status: .found)
        case .success(let r): authorize = r
        }
        if authorize.prompt == "none" {
            guard let principal else { return redirectError(authorize, "login_required", "The user is not signed in.", accounts, status: .found) }
            guard try grants.priorConsentCovers(authorize, user: principal.user) else {
                return redirectError(authorize, "consent_required", "The user has not authorized these scopes.", accounts, status: .found)
            }
            return try approval(authorize, principal.user, grants, accounts, request: request, status: .found)
        }
        guard let principal, let sessionHash = principal.sessionHash else {
            return loginPage(authorize, web: web, error: loginError)
        }
        return try consentPage(authorize, user: principal.user, csrf: web.csrfToken(sessionHash: sessionHash), accounts: accounts)
    }

    /// The signed-in user from the session cookie (only real user sessions count).
    package static func webPrincipal(_ request: HTTPRequest, _ accounts: any AuthorizeRoutes.Services, _ web: WebSession) throws -> Principal? {
        guard let token = web.sessionToken(request) else { return nil }
        // The pages' credential is the cookie, not the `Authorization` header the filters identified.
        let caller = try accounts.authenticator.resolve(accounts.authenticator.identify(.bare(token[...])))
        guard let principal = caller.principal, !principal.isBot, principal.sessionHash != nil else { return nil }
        return principal
    }

    package static func loginPage(_ authorize: AuthorizeRequest, web: WebSession, error: String?) -> HTTPResponse {
        let csrf = Base64URL.encode(SecureRandom.bytes(24))
        let app = authorize.application
        // With SSO on, a "Continue with …" form; its POST is answered with a redirect to the provider, which
        // CSP form-action must allow. With SSO enforced it is the only way in.
        // One form per provider whose authorization endpoint is known (discovery may be failing for one).
        let offered = web.sso.map { sso in sso.providers.compactMap { p in sso.authorizationOrigin(p).map { (p, $0) } } } ?? []
        let ssoForm = offered.map { provider, _ in """
            <form method="post" action="/oauth2/authorize/sso">
            \(WebPage.hiddenFields(authorize.parameters))
            <input type="hidden" name="csrf" value="\(csrf)">
            <input type="hidden" name="sso_provider" value="\(WebPage.escape(provider.name))">
            <div class="actions"><button class="primary" type="submit">Continue with \(WebPage.escape(provider.displayName))</button></div>
            </form>
            """ }.joined(separator: "\n")
        let passwordForm = web.sso?.isEnforced == true ? "" : """
            <form method="post" action="/oauth2/authorize/login">
            \(WebPage.hiddenFields(authorize.parameters))
            <input type="hidden" name="csrf" value="\(csrf)">
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" autofocus>
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required minlength="8" maxlength="256">
            <div class="actions"><button\(ssoForm.isEmpty ? " class=\"primary\"" : "") type="submit">Sign in</button></div>
            </form>
            """
        var response = WebPage.render(status: error == nil ? .ok : .badRequest, title: "Sign in", body: """
            <div class="app"><div class="avatar" aria-hidden="true">\(WebPage.escape(String(app.name.prefix(1)).uppercased()))</div>
            <div><h1>Sign in to continue</h1><p class="muted">\(WebPage.escape(app.name)) wants to access your Fluxer account.</p></div></div>
            \(error.map { "<p class=\"error\" role=\"alert\">\(WebPage.escape($0))</p>" } ?? "")
            \(ssoForm)
            \(passwordForm)
            """, formTargets: Array(Set(offered.map(\.1))).sorted())
        response.headers.add("Set-Cookie", web.setCookie(name: web.csrfCookie, value: csrf, maxAge: 3600))
        return response
    }

    static func consentPage(_ authorize: AuthorizeRequest, user: User, csrf: String, accounts: any AuthorizeRoutes.Services) throws -> HTTPResponse {
        let app = authorize.application
        if authorize.scopes.contains(.bot) && !app.botPublic && app.ownerID != user.id {
            return WebPage.error("This bot is private: only its owner can add it.", status: .forbidden, title: "Private bot")
        }
        var guildPicker = ""
        if authorize.scopes.contains(.bot) {
            let manageable = try accounts.context.database.read { db in
                try GuildStore.memberships(userID: user.id, in: db).map(\.0).filter { try GuildStore.canManage(guild: $0, userID: user.id, in: db) }
            }
            if let chosen = authorize.guildID {
                let name = manageable.first { $0.id == chosen }?.name ?? "the requested community"
                guildPicker = "<p>The bot will be added to <strong>\(WebPage.escape(name))</strong>.</p>"
            } else if manageable.isEmpty {
                guildPicker = "<p class=\"muted\">You do not manage any community, so the bot cannot be added anywhere yet.</p>"
            } else {
                let options = manageable.map { "<option value=\"\($0.id)\">\(WebPage.escape($0.name))</option>" }.joined()
                guildPicker = "<label for=\"guild_id\">Add the bot to</label><select id=\"guild_id\" name=\"guild_id\" required>\(options)</select>"
            }
            if authorize.permissions != 0 {
                guildPicker += "<p class=\"muted\">Requested permissions: \(authorize.permissions)</p>"
            }
        }
        let scopeItems = authorize.scopes.map { "<li>\(WebPage.escape($0.consentText))</li>" }.joined()
        let destination = authorize.redirectURI.flatMap(WebPage.origin(of:))
        let fields = authorize.parameters.filter { !(authorize.guildID == nil && $0.0 == "guild_id") }
        return WebPage.render(title: "Authorize \(app.name)", body: """
            <div class="app"><div class="avatar" aria-hidden="true">\(WebPage.escape(String(app.name.prefix(1)).uppercased()))</div>
            <div><h1>\(WebPage.escape(app.name))</h1><p class="muted">wants to access your Fluxer account</p></div></div>
            <p>This will allow the application to:</p>
            <ul class="scopes">\(scopeItems)</ul>
            <form method="post" action="/oauth2/authorize/decision">
            \(WebPage.hiddenFields(fields))
            <input type="hidden" name="csrf" value="\(csrf)">
            \(guildPicker)
            \(destination.map { "<p class=\"muted\">Once you authorize, you will be sent to \(WebPage.escape($0)).</p>" } ?? "")
            <div class="actions">
            <button type="submit" name="action" value="cancel">Cancel</button>
            <button class="primary" type="submit" name="action" value="authorize">Authorize</button>
            </div>
            </form>
            <p class="signed-in">Signed in as <strong>\(WebPage.escape(user.username))</strong>#\(user.discriminatorText)</p>
            """, formTargets: destination.map { [$0] } ?? [])
    }

    // MARK: - Form posts

    static func formPairs(_ request: HTTPRequest) -> [(name: String, value: String)]? {
        guard let type = request.headers["Content-Type"],
              type.split(separator: ";").first.map({ $0.trimmingASCIIWhitespace().lowercased() }) == "application/x-www-form-urlencoded"
        else { return nil }
        return FormURLEncoding.decode(String(decoding: request.body, as: UTF8.self))
    }

    /// "Continue with …" on the login page: the same double-submit CSRF check as the password form, then the
    /// browser goes to the provider with a sign-in bound to it by a cookie, and comes back to
    /// `/auth/sso/callback`, which returns it here signed in.
    static func ssoStart(_ request: HTTPRequest, _ accounts: any AuthorizeRoutes.Services, _ web: WebSession) throws -> HTTPResponse {
        guard let sso = web.sso else { return WebPage.error("Single sign-on is not enabled.", status: .notFound) }
        guard let pairs = formPairs(request) else { return WebPage.error("The form could not be read.") }
        let fields = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard web.isSameOrigin(request), let csrf = fields["csrf"], let cookie = WebSession.cookies(request)[web.csrfCookie],
              ConstantTime.equals(csrf, cookie)
        else { return WebPage.error("This form expired. Go back and try again.", status: .forbidden) }
        let authorizePairs = pairs.filter { AuthorizeRequest.parameterNames.contains($0.name) }
        let parsed = try accounts.context.database.read { try AuthorizeRequest.parse(authorizePairs, config: accounts.context.config, in: $0) }
        guard case .success(let authorize) = parsed else { return respond(parsed.failure!.beforeSignIn, accounts, status: .seeOther) }
        let back = authorize.pagePath
        guard let provider = fields["sso_provider"].flatMap(sso.provider(named:)) ?? (fields["sso_provider"] == nil ? sso.defaultProvider : nil) else {
            return WebPage.error("Unknown sign-in provider. Go back and try again.", status: .badRequest)
        }
        let binding = Base64URL.encode(SecureRandom.bytes(32))
        let (url, _) = try sso.beginSignIn(provider, redirectTo: back, redirectURI: sso.callbackURI, browserBinding: SHA256.hash(utf8: binding),
                                           clientIP: request.remoteAddress)
        var response = HTTPResponse(status: .seeOther, headers: WebPage.securityHeaders())
        response.headers.add("Location", url)
        response.headers.add("Set-Cookie", web.setCookie(name: web.ssoCookie, value: binding, maxAge: Int(SSOService.stateLifetime / 1000)))
        return response
    }

    /// Login on the authorize page: double-submit CSRF cookie, the same throttles and decoy hash as
    /// `POST /auth/login`, then a session cookie and 303 back to the page (AZ-14).
    static func login(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AuthorizeRoutes.Services, _ web: WebSession) {
        writer.respondAsync { reply in
            guard let pairs = formPairs(request) else { return reply(WebPage.error("The form could not be read.")) }
            let fields = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            guard web.isSameOrigin(request), let csrf = fields["csrf"], let cookie = WebSession.cookies(request)[web.csrfCookie],
                  ConstantTime.equals(csrf, cookie)
            else { return reply(WebPage.error("This form expired. Go back and try again.", status: .forbidden)) }
            let authorizePairs = pairs.filter { AuthorizeRequest.parameterNames.contains($0.name) }
            let parsed = try accounts.context.database.read { try AuthorizeRequest.parse(authorizePairs, config: accounts.context.config, in: $0) }
            guard case .success(let authorize) = parsed else { return reply(respond(parsed.failure!.beforeSignIn, accounts, status: .seeOther)) }
            let email = fields["email"] ?? ""
            let password = fields["password"] ?? ""
            if accounts.context.config.isSSOEnforced {
                return reply(WebPage.error("This instance signs in with single sign-on. Sign in through your organisation's provider, then come back.",
                                           status: .forbidden, title: "Single sign-on required"))
            }
            guard AccountValidation.email(email) == nil, AccountValidation.password(password) == nil else {
                return reply(loginPage(authorize, web: web, error: "Invalid email or password."))
            }
            do {
                let user = try accounts.loginAttempt(email: email, request: request)
                try accounts.verifyOnPool(password, against: user?.isBot == true ? nil : user?.passwordHash, reply: reply) { ok in
                    guard let user, ok, !user.isLocked(at: accounts.now) else {
                        if let user { try accounts.proofFailed(user, ok: ok, request: request, event: "login.failure") }
                        return reply(loginPage(authorize, web: web, error: "Invalid email or password."))
                    }
                    if user.isDisabled {
                        accounts.audit.record("login.failure", outcome: "refused", userID: user.id, request: request, detail: "account_disabled")
                        return reply(WebPage.error("This account has been suspended.", status: .forbidden, title: "Account suspended"))
                    }
                    // The same success path as `POST /auth/login`: audited, the failure count reset, the hash upgraded.
                    switch try accounts.passwordAccepted(user, password: password, request: request) {
                    case .ticket(let ticket):
                        reply(try mfaPage(authorize, user: user, ticket: ticket, csrf: csrf, notice: nil, error: nil, accounts: accounts))
                    case .session(let token):
                        reply(web.signedIn(token: token, redirectTo: authorize.pagePath))
                    case .ipAuthorizationRequired:
                        // This page has no poll: the link authorizes the network, and signing in again then works.
                        reply(WebPage.error("We emailed you a link to approve sign-ins from this network. Open it, then sign in again.",
                                            status: .forbidden, title: "Approve this sign-in"))
                    }
                }
            } catch let error as APIError where error.code == "RATE_LIMITED" {
                var page = loginPage(authorize, web: web, error: "Too many attempts. Try again later.")
                page.status = .tooManyRequests
                page.headers.add("Retry-After", error.headers["Retry-After"] ?? "60")
                reply(page)
            }
        }
    }

    /// The second step of the page's login for users with MFA: a security key (the one script these pages use,
    /// with the options embedded in the form), an authenticator or backup code, or an SMS code. A fresh WebAuthn
    /// challenge bound to the ticket is issued with every rendering.
    static func mfaPage(_ authorize: AuthorizeRequest, user: User, ticket: String, csrf: String, notice: String?, error: String?,
                        accounts: any AuthorizeRoutes.Services) throws -> HTTPResponse {
        let sms = user.smsMFAEnabled && user.totpEnabled && user.phone != nil
        let codes = user.totpEnabled
        let fields = WebPage.hiddenFields(authorize.parameters + [("csrf", csrf), ("ticket", ticket)])
        var keyForm = ""
        if user.webauthnCount > 0 {
            let (challenge, ids) = try accounts.write { db, _ in
                (try WebAuthnRoutes.issueChallenge(userID: user.id, purpose: "login", ticketHash: MFATicket.hash(ticket), now: accounts.now, in: db),
                 try WebAuthnStore.credentialIDs(userID: user.id, in: db))
            }
            let options = WebAuthnVerifier.requestOptions(policy: WebAuthnRoutes.policy(accounts.context.config), challenge: challenge,
                                                          allowCredentials: ids).serialized
            keyForm = """
                <form id="webauthn-form" method="post" action="/oauth2/authorize/mfa" data-options="\(WebPage.escape(options))">\(fields)
                <input type="hidden" name="action" value="webauthn">
                <input type="hidden" name="challenge" value="\(Base64URL.encode(challenge))">
                <input type="hidden" name="response" value="">
                <p id="webauthn-note" class="muted" role="status" hidden></p>
                <noscript><p class="muted">Using a security key here needs JavaScript.\(codes ? " You can use a code instead." : "")</p></noscript>
                <div class="actions"><button class="primary" type="submit" disabled>Use a security key</button></div>
                </form>
                """
        }
        let smsForm = sms ? """
            <form method="post" action="/oauth2/authorize/mfa">\(fields)
            <input type="hidden" name="action" value="send_sms">
            <div class="actions"><button type="submit">Text a code to \(WebPage.escape(PhoneNumber.hint(user.phone) ?? "my phone"))</button></div>
            </form>
            """ : ""
        let codeForm = codes ? """
            <form method="post" action="/oauth2/authorize/mfa">\(fields)
            <input type="hidden" name="action" value="verify">
            \(sms ? "<label for=\"method\">Code from</label><select id=\"method\" name=\"method\"><option value=\"totp\">Authenticator app or backup code</option><option value=\"sms\">Text message</option></select>" : "<input type=\"hidden\" name=\"method\" value=\"totp\">")
            <label for="code">Code</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="16"\(keyForm.isEmpty ? " autofocus" : "")>
            <div class="actions"><button\(keyForm.isEmpty ? " class=\"primary\"" : "") type="submit">Verify</button></div>
            </form>
            """ : ""
        let lead = [keyForm.isEmpty ? nil : "use your security key",
                    codes ? "enter the 6-digit code from your authenticator app\(sms ? " or the code we texted you" : ""), or a backup code" : nil]
            .compactMap { $0 }.joined(separator: ", or ")
        return WebPage.render(status: error == nil ? .ok : .badRequest, title: "Two-factor authentication", body: """
            <h1>Two-factor authentication</h1>
            <p class="muted">To continue, \(lead).</p>
            \(notice.map { "<p role=\"status\">\(WebPage.escape($0))</p>" } ?? "")
            \(error.map { "<p class=\"error\" role=\"alert\">\(WebPage.escape($0))</p>" } ?? "")
            \(keyForm)
            \(codeForm)
            \(smsForm)
            """, scripts: keyForm.isEmpty ? [] : [WebAuthnScript.path])
    }

    /// Verifies the MFA form (same ticket rules as `/auth/login/mfa/*`), then sets the session cookie and goes
    /// back to the page with 303.
    static func mfaStep(_ request: HTTPRequest, _ accounts: any AuthorizeRoutes.Services, _ web: WebSession) throws -> HTTPResponse {
        guard let pairs = formPairs(request) else { return WebPage.error("The form could not be read.") }
        let fields = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard web.isSameOrigin(request), let csrf = fields["csrf"], let cookie = WebSession.cookies(request)[web.csrfCookie],
              ConstantTime.equals(csrf, cookie)
        else { return WebPage.error("This form expired. Go back and try again.", status: .forbidden) }
        let parsed = try accounts.context.database.read {
            try AuthorizeRequest.parse(pairs.filter { AuthorizeRequest.parameterNames.contains($0.name) }, config: accounts.context.config, in: $0)
        }
        guard case .success(let authorize) = parsed else { return respond(parsed.failure!.beforeSignIn, accounts, status: .seeOther) }
        let ticket = fields["ticket"] ?? ""
        let scope = Base64URL.encode(MFATicket.hash(ticket))
        let factor = SecondFactor(keys: accounts.mfaKeys, now: accounts.now)
        enum Outcome { case session(String), page(User, notice: String?, error: String?), expired }
        let outcome = try accounts.write { db, invalidations -> Outcome in
            guard let userID = try MFATicket.user(of: ticket, now: accounts.now, in: db), let user = try UserStore.find(id: userID, in: db) else {
                return .expired
            }
            if fields["action"] == "send_sms" {
                guard user.smsMFAEnabled, user.totpEnabled, let phone = user.phone else { return .page(user, notice: nil, error: "Text messages are not set up.") }
                try accounts.throttle([("sms:user:\(userID)", accounts.context.config.smsSendLimit)], in: db)
                let code = try factor.issueSMSCode(userID: userID, purpose: "login", scope: scope, in: db)
                try accounts.sendSMS(to: phone, kind: "sms_login_code", code: code, request: request, in: db)
                return .page(user, notice: "We sent a code to \(PhoneNumber.hint(phone) ?? "your phone").", error: nil)
            }
            let code = fields["code"] ?? ""
            let isKey = fields["action"] == "webauthn"
            let refusal = isKey ? "The security key could not be verified." : "That code is not valid."
            if user.isLocked(at: accounts.now) {
                try MFATicket.recordFailure(ticket, in: db)
                return .page(user, notice: nil, error: refusal)
            }
            let accepted: Bool
            if isKey {
                // WebAuthn §7.2 against the challenge this page issued for this ticket (spent whatever the outcome).
                let credential = (fields["response"]).flatMap { try? JSONDecoder().decode(WebAuthnCredentialJSON.self, from: Data($0.utf8)) }
                accepted = try credential.map { credential in
                    try WebAuthnRoutes.assertion(user, credential, challenge: fields["challenge"] ?? "", purpose: "login",
                                                 ticketHash: MFATicket.hash(ticket), accounts, in: db)
                } ?? false
            } else if fields["method"] == "sms" {
                accepted = user.smsMFAEnabled ? try factor.verifySMSCode(code, userID: userID, purpose: "login", scope: scope, in: db) == .accepted : false
            } else {
                accepted = user.totpEnabled ? try factor.verifyTOTPOrBackup(code, userID: userID, in: db) : false
            }
            guard accepted else {
                try MFATicket.recordFailure(ticket, in: db)
                try AccountLockout.recordFailure(userID: userID, now: accounts.now, policy: accounts.lockoutPolicy, in: db)
                accounts.audit.record("mfa.failure", outcome: "failure", userID: userID, request: request, detail: isKey ? "webauthn" : nil)
                accounts.context.metrics.login(.mfaFailure)
                return .page(user, notice: nil, error: refusal)
            }
            guard try MFATicket.consume(ticket, in: db) else { return .expired }
            try AccountLockout.recordSuccess(userID: userID, in: db)
            accounts.audit.record("login.success", outcome: "success", userID: userID, request: request, detail: isKey ? "webauthn" : (fields["method"] == "sms" ? "sms" : "totp"))
            return .session(try accounts.createSession(for: userID, request: request, in: db, &invalidations))
        }
        switch outcome {
        case .expired:
            return WebPage.error("This sign-in expired. Start again from the application.", status: .badRequest)
        case .page(let user, let notice, let error):
            accounts.deliveryNudge()
            return try mfaPage(authorize, user: user, ticket: ticket, csrf: csrf, notice: notice, error: error, accounts: accounts)
        case .session(let token):
            return web.signedIn(token: token, redirectTo: authorize.pagePath)
        }
    }

    /// Authorize or Cancel on the consent page: the session cookie, same origin, and a CSRF token bound to
    /// that session (AZ-10), then 303 to the client (AZ-14).
    static func decide(_ request: HTTPRequest, _ accounts: any AuthorizeRoutes.Services, _ web: WebSession, _ grants: OAuthGrants) throws -> HTTPResponse {
        guard let pairs = formPairs(request) else { return WebPage.error("The form could not be read.") }
        let fields = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let principal = try webPrincipal(request, accounts, web), let sessionHash = principal.sessionHash else {
            return WebPage.error("Your session ended. Start again from the application.", status: .unauthorized)
        }
        guard web.isSameOrigin(request), web.isValidCSRF(fields["csrf"], sessionHash: sessionHash) else {
            return WebPage.error("This form expired or did not come from this page. Start again from the application.", status: .forbidden)
        }
        let authorizePairs = pairs.filter { AuthorizeRequest.parameterNames.contains($0.name) }
        let parsed = try accounts.context.database.read { try AuthorizeRequest.parse(authorizePairs, config: accounts.context.config, in: $0) }
        let authorize: AuthorizeRequest
        switch parsed {
        case .failure(let failure): return respond(failure, accounts, status: .seeOther)
        case .success(let r): authorize = r
        }
        guard fields["action"] == "authorize" else {
            return redirectError(authorize, "access_denied", "The user denied the request.", accounts, status: .seeOther,
                                 pageMessage: "You cancelled. Nothing was shared.")
        }
        return try approval(authorize, principal.user, grants, accounts, request: request, status: .seeOther)
    }

    static func approval(_ authorize: AuthorizeRequest, _ user: User, _ grants: OAuthGrants, _ accounts: any AuthorizeRoutes.Services,
                         request: HTTPRequest, status: HTTPStatus) throws -> HTTPResponse {
        do {
            switch try grants.approve(authorize, user: user, request: request) {
            case .redirect(let url): return redirect(url, status: status)
            case .botAdded(let guild):
                return WebPage.render(title: "Bot added", body: """
                    <h1>Bot added</h1><p>\(WebPage.escape(authorize.application.name)) was added\(guild.isEmpty ? "" : " to <strong>\(WebPage.escape(guild))</strong>").</p>
                    <p class="muted">You can close this window.</p>
                    """)
            }
        } catch let error as APIError where error.status.code == 400 || error.status.code == 403 {
            return WebPage.error(error.message, status: error.status, title: "Cannot authorize")
        }
    }

    // MARK: - JSON consent (the real web app's API)

    struct ConsentBody: Decodable {
        var response_type: String?
        var client_id: String
        var redirect_uri: String?
        var scope: String?
        var state: String?
        var permissions: String?
        var guild_id: String?
        var code_challenge: String?
        var code_challenge_method: String?
    }

    static func consentAPI(_ request: HTTPRequest, _ accounts: any AuthorizeRoutes.Services, _ grants: OAuthGrants) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        let body = try JSONBody.decode(ConsentBody.self, from: request)
        let pairs: [(name: String, value: String)] = [
            ("response_type", body.response_type), ("client_id", body.client_id), ("redirect_uri", body.redirect_uri),
            ("scope", body.scope), ("state", body.state), ("permissions", body.permissions), ("guild_id", body.guild_id),
            ("code_challenge", body.code_challenge), ("code_challenge_method", body.code_challenge_method),
        ].compactMap { name, value in value.map { (name, $0) } }
        let parsed = try accounts.context.database.read { try AuthorizeRequest.parse(pairs, config: accounts.context.config, in: $0) }
        switch parsed {
        case .failure(.page(let message)):
            throw OAuthError.invalidRequest(message)
        case .failure(.redirect(_, let error, let description, _)):
            throw OAuthError(error: error, description: description)
        case .success(let authorize):
            switch try grants.approve(authorize, user: principal.user, request: request) {
            case .redirect(let url):
                return .json(.ok, JSONValue.object([("redirect_to", .string(url))]), headers: ["Cache-Control": "no-store"])
            case .botAdded:
                return .json(.ok, JSONValue.object([("redirect_to", .string(accounts.context.config.effectivePublicURL + "/oauth2/authorized"))]))
            }
        }
    }

    // MARK: - Answers

    static func redirect(_ url: String, status: HTTPStatus) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: WebPage.securityHeaders())
        response.headers.add("Location", url)
        return response
    }

    static func respond(_ failure: AuthorizeRequest.Failure, _ accounts: any AuthorizeRoutes.Services, status: HTTPStatus) -> HTTPResponse {
        switch failure {
        case .page(let message):
            return WebPage.error(message)
        case .redirect(let to, let error, let description, let state):
            return redirect(AuthorizeRequest.redirectURL(to, [("error", error), ("error_description", description), ("state", state),
                                                               ("iss", accounts.context.config.effectivePublicURL)]), status: status)
        }
    }

    static func redirectError(_ authorize: AuthorizeRequest, _ error: String, _ description: String, _ accounts: any AuthorizeRoutes.Services,
                              status: HTTPStatus, pageMessage: String? = nil) -> HTTPResponse {
        guard let to = authorize.redirectURI else { return WebPage.error(pageMessage ?? description, title: "Not authorized") }
        return respond(.redirect(to: to, error: error, description: description, state: authorize.state), accounts, status: status)
    }
}

extension Result {
    package var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
