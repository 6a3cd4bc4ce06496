import FluxerCrypto
import FoundationEssentials
import HTTPServer
import SQLite
import Synchronization
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import FluxerATProto
import HTTPClient

/// Instance-wide single sign-on with one OpenID Connect provider (DESIGN; real server `SsoService`):
/// `GET /auth/sso/status`, `POST /auth/sso/start`, `POST /auth/sso/complete`. The browser goes to the provider
/// with `state`, a `nonce` and a PKCE S256 challenge; the state is stored hashed, single use, for 10 minutes,
/// with the verifier sealed. Completion exchanges the code, validates the ID token (OIDC Core §3.1.3.7), and
/// signs in the account linked to the provider's subject, else a new account when `sso.auto_provision` allows.
/// A verified existing account is never reached on an email match alone: with `sso.link_existing_accounts` its
/// owner signs in locally and links (`POST /users/@me/sso/link`, sudo; only that user's session can complete
/// it), and an unverified one is claimed with its registrant's factors wiped. An account with MFA still passes
/// its second factor (the answer is the login's MFA ticket) unless the ID token's `amr` shows MFA at the provider.
/// Errors reaching clients are generic; the provider's details go to the log only.
package final class SSOService: Sendable {
    /// What single sign-on may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking & Messaging
    package let accounts: any Services
    /// The flat `[sso]` table: its provider (when enabled) and the instance-wide switches every provider shares
    /// (linking existing accounts, trusting provider MFA, the redirect URI).
    package let settings: SSOSettings
    /// Every enabled provider: the flat table's, then the named ones by name; in dev mode with none configured,
    /// the built-in `mock`.
    package let providers: [SSOProvider]
    package let mock: MockSSOProvider?
    /// The built-in AT Protocol network (dev mode): PLC directory, PDS, authorization server and handle resolver
    /// under `/_dev/atproto`, made on first use (its URLs name the address the server listens on).
    package let atprotoMock = Mutex<ATProtoMockServer?>(nil)
    /// Our AT Protocol client's signing keys (newest first), loaded from the database or made on first use.
    package let atprotoKeys = Mutex<(keys: [ATProtoClientKeyRing.Key], at: Int64)?>(nil)
    /// The port the server listens on, once it does (for URLs derived when no public URL is configured).
    package let boundPort = SharedInt()

    /// An integer shared across threads (the bound port; the exchanges in flight).
    package final class SharedInt: Sendable {
        private let value = Atomic<Int>(0)
        package func load() -> Int { value.load(ordering: .relaxed) }
        package func store(_ port: Int) { value.store(port, ordering: .relaxed) }
        package func increment() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }
        package func decrement() { value.subtract(1, ordering: .relaxed) }
    }
    private let box: SecretBox

    package static let stateLifetime: Int64 = 10 * 60_000
    /// Sign-ins talking to the provider at once: half the worker threads, at most 4. Each holds a worker for up
    /// to the provider's timeouts (10 s per call), so a slow or dead provider may use these few, never every
    /// worker: the rest of the API keeps answering. Beyond it: 503 with Retry-After.
    package let maxConcurrentExchanges: Int
    private let exchanges = SharedInt()
    package static let maxRedirectLength = 2048
    package static let maxPendingStates: Int64 = 100_000
    /// Sign-ins one client address may have pending (they are started without authentication).
    package static let maxPendingStatesPerClient: Int64 = 20
    /// The built-in dev providers' names when no SSO is configured.
    package static let builtInMockName = "mock"
    package static let builtInBlueskyName = "bluesky"
    /// Where our AT Protocol client metadata document (our `client_id`) and JWKS are served.
    package static let atprotoClientMetadataPath = "/oauth/atproto/client-metadata.json"
    package static let atprotoJWKSPath = "/oauth/atproto/jwks.json"
    /// How long a completion code is good for (issue 14: 60 s, single use).
    package static let completionLifetime: Int64 = 60_000

    package init(accounts: any Services) {
        self.accounts = accounts
        let config = accounts.context.config
        let workers = config.workers > 0 ? config.workers : max(8, accounts.context.cpuCount * 4)
        maxConcurrentExchanges = max(1, min(4, workers / 2))
        settings = config.sso
        box = SecretBox(key: SecretBox.deriveKey(from: accounts.context.secretKey, context: "fluxer-auth/sso-verifier"))
        var mock: MockSSOProvider?
        if config.dev {
            let port = boundPort
            mock = MockSSOProvider(base: { Self.baseURL(config, port: port.load()) }, clock: accounts.context.clock)
        }
        self.mock = mock
        var configured: [SSOSettings] = config.sso.enabled ? [config.sso] : []
        for case .oidc(let named) in config.ssoProviders where named.enabled { configured.append(named) }
        var atproto: [ATProtoProviderSettings] = []
        for case .atproto(let named) in config.ssoProviders where named.enabled { atproto.append(named) }
        let builtIns = config.dev && !config.sso.enabled && config.ssoProviders.isEmpty
        if builtIns {
            var bluesky = ATProtoProviderSettings(name: Self.builtInBlueskyName)
            bluesky.displayName = "Bluesky (dev mock)"
            // The service, PLC directory and resolver are the built-in mock's, filled in when it is made.
            bluesky.service = ""
            bluesky.plcDirectory = ""
            atproto.append(bluesky)
        }
        if builtIns {
            // Dev mode with no SSO configured: the built-in provider, so `make run` and the guide's snippet work offline.
            var builtIn = config.sso
            builtIn.enabled = true
            builtIn.provider = Self.builtInMockName
            builtIn.issuer = "mock"
            configured.append(builtIn)
        }
        providers = configured.compactMap { settings in
            var settings = settings
            if settings.isMock {
                guard let mock else { return nil }
                if settings.clientID.isEmpty { settings.clientID = MockSSOProvider.clientID }
                if settings.displayName.isEmpty { settings.displayName = "Mock SSO (dev)" }
                let client = OIDCClient(settings: settings, transport: InProcessOIDCTransport(mock: mock), mockIssuer: { mock.issuer }, allowHTTP: true)
                return SSOProvider(settings: settings, client: client)
            }
            let trusted = Set([settings.issuer, settings.authorizationURL, settings.tokenURL, settings.jwksURL, settings.userinfoURL]
                .compactMap { HTTPClientRequest.host(of: $0) })
            let transport = HTTPOIDCTransport(timeoutMilliseconds: config.ssoTimeoutMilliseconds, trustedHosts: trusted, allowsPlainHTTP: config.dev)
            return SSOProvider(settings: settings, client: OIDCClient(settings: settings, transport: transport, allowHTTP: config.dev))
        } + atproto.map { settings in
            SSOProvider(atproto: ATProtoUpstream(settings: settings))
        }
    }

    /// The public URL, or (when none is configured and the port was 0) the address actually bound.
    package static func baseURL(_ config: Config, port: Int) -> String {
        if config.publicURL.isEmpty && config.port == 0 && port != 0 {
            let h = config.host.contains(":") ? "[\(config.host)]" : config.host
            return "http://\(h):\(port)"
        }
        return config.effectivePublicURL
    }

    package var isEnabled: Bool { !providers.isEmpty }
    package var isEnforced: Bool { providers.contains { $0.settings.enforced } }

    /// The provider named `name`, if it is enabled.
    package func provider(named name: String) -> SSOProvider? { providers.first { $0.name == name } }

    /// The provider `/auth/sso/start` uses when none is named: the flat table's, else the only one, else the
    /// built-in dev provider.
    package var defaultProvider: SSOProvider? {
        if settings.enabled, let flat = provider(named: settings.provider) { return flat }
        if providers.count == 1 { return providers[0] }
        return provider(named: Self.builtInMockName)
    }

    package static let unknownProvider = APIError.invalidField("provider", "Unknown SSO provider.", code: "UNKNOWN_SSO_PROVIDER")

    /// The provider a request names, or the default one.
    package func provider(for name: String?) throws(APIError) -> SSOProvider {
        if let name {
            guard let provider = provider(named: name) else { throw Self.unknownProvider }
            return provider
        }
        guard let provider = defaultProvider else {
            throw APIError.invalidField("provider", "Name one of the providers of GET /auth/sso/status.", code: "UNKNOWN_SSO_PROVIDER")
        }
        return provider
    }

    package var redirectURI: String {
        settings.redirectURI.isEmpty
            ? Self.baseURL(accounts.context.config, port: boundPort.load()) + "/auth/sso/callback"
            : settings.redirectURI
    }

    package static let required = APIError(.forbidden, code: "SSO_REQUIRED", message: "This instance signs in with single sign-on.")

    /// Local sign-in routes call this first: with SSO enforced they answer 403 `SSO_REQUIRED`.
    package func refuseLocalAuthWhenEnforced() throws(APIError) {
        if isEnforced { throw Self.required }
    }

    package func register(on router: inout Router) {
        mock?.register(on: &router)
        registerATProto(on: &router)
        registerConnections(on: &router)
        router.api(.GET, "/auth/sso/status") { [self] _ in status() }
        router.api(.POST, "/auth/sso/start") { [self] request in try start(request) }
        router.api(.POST, "/auth/sso/complete") { [self] request in try complete(request) }
        router.addDeferred(.POST, "/users/@me/sso/link") { [self] request, writer in link(request, writer) }
    }

    /// What a client is told when the provider could not be used: nothing about the provider, its transport or
    /// its answers (those go to the log).
    package static let failed = APIError(.badRequest, code: "SSO_AUTHENTICATION_FAILED",
                                 message: "Single sign-on failed. Try again, or ask your administrator if it keeps failing.")

    /// What a client is told of a provider failure: the generic answer of its kind, never the detail.
    package static func generic(_ error: APIError) -> APIError {
        switch error.code {
        case "SSO_AUTHENTICATION_FAILED": failed
        case "SSO_PROVIDER_ERROR": providerError
        default: error
        }
    }

    /// Runs a step that talks to the provider; a failure is logged with its detail and answered generically.
    package func withProvider<T>(_ step: String, _ body: () throws(APIError) -> T) throws(APIError) -> T {
        do throws(APIError) {
            return try body()
        } catch {
            accounts.context.logger.warning("sso provider step failed", metadata: ["step": "\(step)", "reason": "\(error.message)"])
            throw Self.generic(error)
        }
    }

    // MARK: - Status and start

    package func status() -> HTTPResponse {
        .json(.ok, JSONValue.object([
            ("enabled", .bool(isEnabled)), ("enforced", .bool(isEnforced)),
            ("display_name", defaultProvider.map { .string($0.displayName) } ?? .null),
            ("redirect_uri", .string(redirectURI)),
            ("providers", .array(providers.map { provider in
                JSONValue.object([("name", .string(provider.name)), ("display_name", .string(provider.displayName)),
                                  ("kind", .string(provider.kind))])
            })),
        ]))
    }

    package struct StartBody: Decodable {
        package var provider: String?
        /// An AT Protocol handle or DID (atproto providers): the account to sign in as (`login_hint`).
        package var handle: String?
        package var redirect_to: String?
    }

    /// Only a same-site relative path survives (`/channels/@me`); anything else, `//evil.example` and
    /// `/\evil.example` included, becomes "" (real server: relative paths only).
    package static func sanitizedRedirect(_ value: String?) -> String {
        guard let value, (1...maxRedirectLength).contains(value.utf8.count), value.hasPrefix("/"), !value.hasPrefix("//"),
              value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return "" }
        return value
    }

    package func start(_ request: HTTPRequest) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        guard isEnabled else { throw APIError(.badRequest, code: "SSO_NOT_ENABLED", message: "Single sign-on is not enabled.") }
        let body = request.body.isEmpty ? StartBody() : try JSONBody.decode(StartBody.self, from: request)
        let provider = try provider(for: body.provider)
        if let r = body.redirect_to, r.utf8.count > Self.maxRedirectLength {
            throw APIError.invalidField("redirect_to", "redirect_to must be at most 2048 characters.", code: "STRING_LENGTH_INVALID")
        }
        if let handle = body.handle, handle.isEmpty || handle.utf8.count > 2048 {
            throw APIError.invalidField("handle", "handle must be 1-2048 characters.", code: "STRING_LENGTH_INVALID")
        }
        if body.handle != nil && provider.atproto == nil {
            throw APIError.invalidField("handle", "Only AT Protocol providers take a handle.", code: "INVALID_FORM_BODY")
        }
        // A page of this site (same origin or same site, as the browser itself says: Fetch Metadata) gets a cookie
        // that binds the sign-in to this browser, so our callback finishes it only here (login CSRF). A request
        // from elsewhere (curl, another site's page without credentials) could not keep the cookie.
        let sameSite = ["same-origin", "same-site"].contains(request.headers["Sec-Fetch-Site"]?.lowercased() ?? "")
        let binding = sameSite ? Base64URL.encode(SecureRandom.bytes(32)) : nil
        let uri = provider.atproto == nil ? redirectURI : callbackURI
        let (url, state) = try beginSignIn(provider, redirectTo: Self.sanitizedRedirect(body.redirect_to), redirectURI: uri,
                                           browserBinding: nil, clientIP: request.remoteAddress, handle: body.handle,
                                           callbackBinding: binding.map { SHA256.hash(utf8: $0) }, request: request)
        var response = Self.startResponse(url: url, state: state, redirectURI: uri)
        if let binding {
            let config = accounts.context.config
            var cookie = "\(WebSession.ssoCallbackCookie(config))=\(binding); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Self.stateLifetime / 1000)"
            if WebSession.isSecure(config) { cookie += "; Secure" }
            response.headers.add("Set-Cookie", cookie)
        }
        return response
    }

    package static func startResponse(url: String, state: String, redirectURI: String) -> HTTPResponse {
        .json(.ok, JSONValue.object([
            ("authorization_url", .string(url)), ("session_url", .string(url)), ("state", .string(state)),
            ("redirect_uri", .string(redirectURI)),
        ]), headers: ["Cache-Control": "no-store"])
    }

    package static let linkingDisabled = APIError(.forbidden, code: "SSO_LINKING_DISABLED",
                                          message: "Linking single sign-on to an existing account is not enabled here.")

    /// `POST /users/@me/sso/link {redirect_to?, …sudo}`: a signed-in user (sudo: a fresh proof of the local
    /// account) starts a sign-in at the provider that links the provider account to theirs. The answer has the
    /// shape of `/auth/sso/start`; `/auth/sso/complete` finishes it only with this user's own session, and answers
    /// `{user_id, linked: true, redirect_to}`. This is how a first link to an existing account is made.
    package func link(_ request: HTTPRequest, _ writer: ResponseWriter) {
        writer.respondAsync { [self] reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            guard isEnabled else { throw APIError(.badRequest, code: "SSO_NOT_ENABLED", message: "Single sign-on is not enabled.") }
            guard settings.linkExistingAccounts else { throw Self.linkingDisabled }
            struct LinkBody: Decodable { var provider: String?; var redirect_to: String? }
            let body = request.body.isEmpty ? LinkBody() : try JSONBody.decode(LinkBody.self, from: request)
            let provider = try provider(for: body.provider)
            if let r = body.redirect_to, r.utf8.count > Self.maxRedirectLength {
                throw APIError.invalidField("redirect_to", "redirect_to must be at most 2048 characters.", code: "STRING_LENGTH_INVALID")
            }
            try accounts.requireSudo(principal, request: request, reply: reply) { [self] in
                let (url, state) = try beginSignIn(provider, redirectTo: Self.sanitizedRedirect(body.redirect_to), redirectURI: redirectURI,
                                                   browserBinding: nil, clientIP: request.remoteAddress, linkUserID: principal.user.id)
                accounts.audit.record("sso.link_started", outcome: "success", userID: principal.user.id, request: request)
                return Self.startResponse(url: url, state: state, redirectURI: redirectURI)
            }
        }
    }


    /// This server's own callback, where a browser-started sign-in comes back.
    package var callbackURI: String { Self.baseURL(accounts.context.config, port: boundPort.load()) + "/auth/sso/callback" }

    /// The origin of the provider's authorization endpoint (for CSP form-action), or nil when it cannot be
    /// found (discovery failing): the login page then offers no SSO button.
    package func authorizationOrigin(_ provider: SSOProvider) -> String? {
        // The login page's button posts to us and is redirected to the provider; an atproto provider's
        // authorization server depends on the account, so only OIDC providers get a button there.
        guard let client = provider.oidc, let endpoints = try? client.endpoints(now: accounts.now) else { return nil }
        return WebPage.origin(of: endpoints.authorization)
    }

    /// Stores a new sign-in and returns the provider URL to send the browser to, and its state. `redirectTo` is
    /// where the person lands afterwards (a relative path); `browserBinding` is SHA-256 of a cookie value when
    /// the browser itself will come back (login-CSRF protection), nil when an API client completes it.
    /// `linkUserID`: the signed-in user (after sudo) this sign-in links the provider account to.
    package func beginSignIn(_ provider: SSOProvider, redirectTo: String, redirectURI: String, browserBinding: [UInt8]?, clientIP: String,
                     linkUserID: UInt64? = nil, handle: String? = nil, callbackBinding: [UInt8]? = nil, purpose: String? = nil,
                     request: HTTPRequest? = nil) throws -> (url: String, state: String) {
        let now = accounts.now
        // What the callback needs, sealed: the PKCE verifier (OIDC), or the whole pending sign-in (atproto: the
        // issuer, the PKCE verifier and the DPoP private key).
        let url: String, state: String, nonce: String, secret: [UInt8]
        switch provider.upstream {
        case .oidc(let client):
            let endpoints = try withProvider("discovery") { () throws(APIError) in
                try client.endpoints(now: now)
            }
            let hex = Array("0123456789abcdef")
            state = String(SecureRandom.bytes(16).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] })
            nonce = Base64URL.encode(SecureRandom.bytes(32))
            let verifier = Base64URL.encode(SecureRandom.bytes(32))
            secret = Array(verifier.utf8)
            url = AuthorizeRequest.redirectURL(endpoints.authorization, [
                ("response_type", "code"), ("client_id", provider.settings.clientID), ("redirect_uri", redirectURI),
                ("scope", provider.settings.scope), ("state", state), ("nonce", nonce),
                ("code_challenge", Base64URL.encode(SHA256.hash(utf8: verifier))), ("code_challenge_method", "S256"),
            ])
        case .atproto(let upstream):
            let client = try atprotoClient(upstream)
            let started: ATProtoStart
            do {
                started = try client.start(identifier: handle)
            } catch {
                throw request.map { apiError(error, provider: provider.name, request: $0) } ?? Self.providerError
            }
            state = started.state
            nonce = ""
            secret = Array(started.pending.serialized.utf8)
            url = started.authorizationURL
        }
        // One client is an IPv4 address or an IPv6 /64: per-address counting would let one host fill the global cap.
        let clientKey = ClientKey.of(clientIP)
        enum Stored { case yes, full, clientFull }
        let stored = try accounts.write { db, _ -> Stored in
            try SSOStore.deleteExpiredStates(now: now, in: db)
            let mine = try SSOStore.pendingStates(clientKey: clientKey, in: db)
            guard mine < Self.maxPendingStatesPerClient else { return .clientFull }
            let pending = try SSOStore.pendingStates(in: db)
            guard pending < Self.maxPendingStates else { return .full }
            try SSOStore.insertState(.init(provider: provider.name, nonce: nonce, verifierSealed: box.seal(secret),
                                           redirectTo: redirectTo, expiresAt: now + Self.stateLifetime, redirectURI: redirectURI,
                                           browserBinding: browserBinding, linkUserID: linkUserID, callbackBinding: callbackBinding,
                                           purpose: purpose),
                                     stateHash: SHA256.hash(utf8: state), clientKey: clientKey, in: db)
            return .yes
        }
        if stored == .clientFull {
            accounts.context.metrics.rateLimited(limiter: "pending", bucket: "sso_states")
            throw APIError.rateLimited(retryAfterMilliseconds: Self.stateLifetime, global: false)
        }
        guard stored == .yes else {
            throw APIError.serviceUnavailable(retryAfterSeconds: 5, message: "Too many sign-ins in progress; try again shortly.")
        }
        return (url, state)
    }

    // MARK: - Complete

    package struct CompleteBody: Decodable {
        package var code: String
        /// With `state`: the provider's code, for a web app that owns the callback (the real server's shape).
        /// Without: the one-time completion code our own callback handed the web app (the guide's shape).
        package var state: String?
        /// The authorization server's `iss` (RFC 9207), for an atproto sign-in completed through the API.
        package var iss: String?
    }

    package func complete(_ request: HTTPRequest) throws -> HTTPResponse {
        try accounts.refuseBots(request)
        guard isEnabled else { throw APIError(.badRequest, code: "SSO_NOT_ENABLED", message: "Single sign-on is not enabled.") }
        let body = try JSONBody.decode(CompleteBody.self, from: request)
        guard (1...2048).contains(body.code.utf8.count) else {
            throw APIError.invalidField("code", "code must be 1-2048 characters.", code: "STRING_LENGTH_INVALID")
        }
        let (result, redirectTo) = try body.state.map { state in
            try finishSignIn(code: body.code, state: state, iss: body.iss, browserBinding: nil, request: request)
        } ?? redeemCompletion(code: body.code, request: request)
        let landing = JSONValue.string(redirectTo.isEmpty ? "/" : redirectTo)
        switch result {
        case .session(let userID, let token):
            return .json(.ok, JSONValue.object([("token", .string(token)), ("user_id", .string(String(userID))), ("redirect_to", landing)]),
                         headers: ["Cache-Control": "no-store"])
        case .mfa(let user, let ticket):
            // The password login's answer: the client finishes through /auth/login/mfa/*.
            return MFATicket.response(ticket: ticket, user: user, extra: [("redirect_to", landing)])
        case .linked(let userID):
            return .json(.ok, JSONValue.object([("user_id", .string(String(userID))), ("linked", true), ("redirect_to", landing)]),
                         headers: ["Cache-Control": "no-store"])
        case .completion, .connected:
            throw Self.invalidState  // only our callback defers, and connections finish there
        }
    }

    /// How a completed sign-in ends: a session; the account's second factor still to pass (an MFA ticket); or
    /// the provider account linked to the signed-in user who started it.
    package enum SignInResult {
        case session(UInt64, String)
        case mfa(User, String)
        case linked(UInt64)
        /// Our callback's answer: a one-time completion code for the web app.
        case completion(String)
        /// A Bluesky account linked to the user as a connection.
        case connected(UInt64)
    }

    package static let invalidState = APIError.invalidField("state", "Unknown or expired sign-in; start again.", code: "INVALID_SSO_STATE")
    package static let invalidCompletion = APIError.invalidField("code", "Unknown, used or expired sign-in code; start again.",
                                                                 code: "INVALID_SSO_CODE")
    /// The issuer under which AT Protocol identities are kept: a DID names one account whichever PDS or
    /// authorization server serves it, so identities are keyed by DID alone (never by handle).
    package static let atprotoIdentityIssuer = "atproto"

    /// Spends a completion code from our callback (single use, 60 s) and finishes what it stands for: a new
    /// session, an MFA ticket for the account's second factor, or the confirmation of a link.
    package func redeemCompletion(code: String, request: HTTPRequest) throws -> (SignInResult, String) {
        guard code.utf8.count == 43, code.utf8.allSatisfy({ Self.isURLSafe($0) }) else { throw Self.invalidCompletion }
        let now = accounts.now
        let redeemed = try accounts.write { db, invalidations -> (SignInResult, String)? in
            guard let completion = try SSOStore.spendCompletion(codeHash: SHA256.hash(utf8: code), in: db), completion.expiresAt > now,
                  let user = try UserStore.find(id: completion.userID, in: db), !user.isBot
            else { return nil }
            switch completion.outcome {
            case "session":
                return (.session(user.id, try accounts.createSession(for: user.id, request: request, in: db, &invalidations)), completion.redirectTo)
            case "mfa":
                return (.mfa(user, try MFATicket.issue(userID: user.id, now: now, in: db)), completion.redirectTo)
            default:
                return (.linked(user.id), completion.redirectTo)
            }
        }
        guard let redeemed else { throw Self.invalidCompletion }
        return redeemed
    }

    private static func isURLSafe(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
    }

    /// Whether a state looks like one we issued (OIDC: 32 hex; atproto: the client's URL-safe random).
    private static func isWellFormedState(_ state: String) -> Bool {
        (16...256).contains(state.utf8.count) && state.utf8.allSatisfy { Self.isURLSafe($0) }
    }

    /// Where a sign-in is finished: through the API (`{code, state}`), in the browser that started it from the
    /// authorize page (its binding cookie), or at our callback for an API-started sign-in, which hands a
    /// completion code to the web app instead of a session.
    package enum FinishChannel {
        case api
        case authorizePage
        /// `binding`: SHA-256 of the callback cookie the browser brought, if any.
        case callback(binding: [UInt8]?)
    }

    /// Spends the state, exchanges the code and signs in. A sign-in started by a browser completes only with
    /// that browser's binding cookie; one started through the API only through the API or at our callback (and
    /// there, when `/auth/sso/start` bound it to a browser, only in that browser).
    package func finishSignIn(code: String, state: String, iss: String? = nil, browserBinding: [UInt8]?, channel: FinishChannel = .api,
                              request: HTTPRequest) throws -> (SignInResult, String) {
        let invalidState = Self.invalidState
        guard Self.isWellFormedState(state) else { throw invalidState }
        let now = accounts.now
        // The provider limit first: a sign-in refused for load keeps its state and can be retried.
        guard exchanges.increment() <= maxConcurrentExchanges else {
            exchanges.decrement()
            throw APIError.serviceUnavailable(retryAfterSeconds: 5, message: "The sign-in provider is slow to answer; try again shortly.")
        }
        defer { exchanges.decrement() }
        // Single use whatever follows (a failed exchange cannot be retried with the same state). Only the
        // channel that started it can spend it: the browser with its binding cookie, or the API (no binding),
        // so a leaked state cannot be burnt through the other one.
        guard let stored = try accounts.write({ db, _ in
            try SSOStore.spendState(stateHash: SHA256.hash(utf8: state), browserBinding: browserBinding, in: db)
        }), stored.expiresAt > now, let provider = provider(named: stored.provider), let secret = box.open(stored.verifierSealed)
        else { throw invalidState }
        let redirectTo = stored.redirectTo
        let usedRedirectURI = stored.redirectURI ?? redirectURI
        var callbackBound = false
        if case .callback(let binding) = channel, let expected = stored.callbackBinding {
            // Started by a page of this site: only the browser holding its cookie may finish it here.
            guard let binding, ConstantTime.equals(binding, expected) else {
                accounts.audit.record("login.failure", outcome: "refused", request: request, detail: "sso_callback_binding")
                throw invalidState
            }
            callbackBound = true
        }
        // A link is finished only by the user who started it: with their own session through the API, or at our
        // callback in the browser they started it from (otherwise a link state sent to someone else would tie
        // their provider account to the sender's account). For anyone else the state is unknown; it is spent
        // all the same.
        let linkUserID = stored.linkUserID
        let isConnection = stored.purpose == "connection"
        // A connection is started by the signed-in user through the API and finished in the browser at our
        // callback: the state (and the cookie, for a same-site start) is what binds it to them.
        if let linkUserID, !callbackBound, !isConnection {
            guard let principal = try? accounts.requireUser(request, allowBots: false), principal.user.id == linkUserID else { throw invalidState }
        }

        let identity: OIDCIdentity
        switch provider.upstream {
        case .oidc(let client):
            let verifier = String(decoding: secret, as: UTF8.self)
            do throws(APIError) {
                let endpoints = try client.endpoints(now: now)
                let tokens = try client.exchange(code: code, verifier: verifier, redirectURI: usedRedirectURI, endpoints: endpoints)
                guard let idToken = tokens.id_token else { throw OIDCClient.failure("the provider sent no ID token") }
                var fromToken = try client.verifyIDToken(idToken, nonce: stored.nonce, endpoints: endpoints, now: now)
                if fromToken.email == nil, let access = tokens.access_token,
                   let info = try client.userinfo(accessToken: access, subject: fromToken.subject, endpoints: endpoints) {
                    fromToken.email = info.email
                    fromToken.emailVerified = info.emailVerified
                    fromToken.name = fromToken.name ?? info.name
                }
                identity = fromToken
            } catch {
                accounts.context.logger.warning("sso sign-in refused", metadata: ["reason": "\(error.message)"])
                accounts.audit.record("login.failure", outcome: "failure", request: request, detail: "sso")
                throw Self.generic(error)
            }
        case .atproto(let upstream):
            let client = try atprotoClient(upstream)
            guard let pending = try? ATProtoPending(serialized: String(decoding: secret, as: UTF8.self)) else { throw invalidState }
            let signIn: ATProtoSignIn
            do {
                signIn = try client.complete(ATProtoCallback(code: code, state: state, iss: iss), pending: pending)
            } catch {
                throw apiError(error, provider: provider.name, request: request)
            }
            // An email only when the account granted it and its PDS says it is confirmed (issue 14).
            let email = signIn.scope.split(separator: " ").contains("transition:email") ? (try? client.accountEmail(signIn)) ?? nil : nil
            identity = OIDCIdentity(issuer: Self.atprotoIdentityIssuer, subject: signIn.did.string, email: email, emailVerified: email != nil,
                                    name: signIn.handle?.string, amr: [], provisionsWithoutEmail: true)
        }
        if isConnection {
            guard let linkUserID, provider.atproto != nil else { throw invalidState }
            return (try connect(identity, provider: provider, userID: linkUserID, request: request), redirectTo)
        }
        let deferred: Bool
        if case .callback = channel { deferred = true } else { deferred = false }
        return (try signIn(identity, provider: provider, linkUserID: linkUserID, deferTo: deferred ? redirectTo : nil, request: request),
                redirectTo)
    }

    /// `GET /auth/sso/callback`: where every provider sends the browser. A sign-in this browser started from the
    /// authorize page completes here (binding cookie), sets the page's session cookie and returns to the page.
    /// One started through the API (`/auth/sso/start`) is finished here too, and the browser goes on with a 303 to
    /// `<sso.app_url><redirect_to>?code=<one-time completion code>&state=<state>` for `POST /auth/sso/complete`.
    package func callback(_ request: HTTPRequest, web: WebSession) throws -> HTTPResponse {
        let code = request.queryValue("code") ?? "", state = request.queryValue("state") ?? ""
        if let error = request.queryValue("error") {
            // The state is spent all the same: a cancelled sign-in cannot be resumed.
            if Self.isWellFormedState(state) {
                _ = try? accounts.write { db, _ in try SSOStore.spendState(stateHash: SHA256.hash(utf8: state), browserBinding: nil, in: db) }
            }
            var page = WebPage.error("The sign-in provider answered: \(WebPage.escape(String(error.prefix(100)))).", title: "Sign-in cancelled")
            page.headers.add("Set-Cookie", web.setCookie(name: web.ssoCallbackCookie, value: "", maxAge: 0))
            return page
        }
        guard let binding = WebSession.cookies(request)[web.ssoCookie],
              try accounts.context.database.read({ db in try SSOStore.hasState(stateHash: SHA256.hash(utf8: state),
                                                                                browserBinding: SHA256.hash(utf8: binding), in: db) })
        else { return apiCallback(request, web: web, code: code, state: state) }
        do {
            let (result, redirectTo) = try finishSignIn(code: code, state: state, browserBinding: SHA256.hash(utf8: binding), request: request)
            // The stored page is one this server built (`/oauth2/authorize?…`, possibly longer than an API
            // redirect_to may be); anything else falls back to the plain signed-in page.
            let back = redirectTo.hasPrefix("/oauth2/authorize?") || !Self.sanitizedRedirect(redirectTo).isEmpty ? redirectTo : "/"
            var response: HTTPResponse
            switch result {
            case .session(_, let token):
                response = web.signedIn(token: token, redirectTo: back)
            case .mfa(let user, let ticket):
                // The account's second factor, on the authorize page's own MFA step (same ticket rules).
                response = try mfaPage(user: user, ticket: ticket, authorizePath: redirectTo, request: request, web: web)
            case .linked, .completion, .connected:
                response = WebPage.error("Return to the application you were signing in to.", status: .badRequest, title: "Single sign-on")
            }
            response.headers.add("Set-Cookie", web.setCookie(name: web.ssoCookie, value: "", maxAge: 0))
            return response
        } catch {
            let message: String
            var status = HTTPStatus.forbidden
            if let error = error as? APIError {
                message = error.code == "INVALID_FORM_BODY" ? "This sign-in expired or was not started in this browser. Start again." : error.message
                if error.status.code >= 500 { status = error.status }
            } else {
                accounts.context.logger.error("sso callback failed", metadata: ["error_type": "\(String(describing: type(of: error)))"])
                message = "The sign-in could not be completed. Try again."
                status = .serviceUnavailable
            }
            var page = WebPage.error(message, status: status, title: "Sign-in failed")
            page.headers.add("Set-Cookie", web.setCookie(name: web.ssoCookie, value: "", maxAge: 0))
            return page
        }
    }

    /// The callback of an API-started sign-in: finish it, keep the outcome under a completion code, and send the
    /// browser to the web app with it. In dev mode with nowhere to go (no `redirect_to`, no `sso.app_url`), a page
    /// shows the code and the curl line that completes it.
    package func apiCallback(_ request: HTTPRequest, web: WebSession, code: String, state: String) -> HTTPResponse {
        let config = accounts.context.config
        let clear = web.setCookie(name: web.ssoCallbackCookie, value: "", maxAge: 0)
        let cookie = WebSession.cookies(request)[web.ssoCallbackCookie].map { SHA256.hash(utf8: $0) }
        let app = config.ssoAppURL.isEmpty ? Self.baseURL(config, port: boundPort.load()) : config.ssoAppURL
        let isConnection = Self.isWellFormedState(state)
            && (try? accounts.context.database.read { db in try SSOStore.statePurpose(stateHash: SHA256.hash(utf8: state), in: db) }) == "connection"
        if isConnection {
            // The real server's connection callback: back to the app's page with the outcome.
            let outcome: String
            do {
                _ = try finishSignIn(code: code, state: state, iss: request.queryValue("iss"), browserBinding: nil,
                                     channel: .callback(binding: cookie), request: request)
                outcome = "status=connected"
            } catch let error as APIError {
                outcome = "status=error&reason=" + FormURLEncoding.encode(error.code == "INVALID_FORM_BODY" ? "BLUESKY_OAUTH_STATE_INVALID" : error.code)
            } catch {
                outcome = "status=error&reason=BLUESKY_OAUTH_CALLBACK_FAILED"
            }
            var response = HTTPResponse(status: .seeOther, headers: WebPage.securityHeaders())
            response.headers.add("Location", app + "/connection-callback?" + outcome)
            response.headers.add("Set-Cookie", clear)
            return response
        }
        do {
            let (result, redirectTo) = try finishSignIn(code: code, state: state, iss: request.queryValue("iss"), browserBinding: nil,
                                                        channel: .callback(binding: cookie), request: request)
            guard case .completion(let completion) = result else { throw Self.invalidState }
            let path = Self.sanitizedRedirect(redirectTo)
            if config.dev && path.isEmpty && config.ssoAppURL.isEmpty {
                let base = Self.baseURL(config, port: boundPort.load())
                var page = WebPage.render(title: "Single sign-on", body: """
                    <h1>Signed in at the provider</h1>
                    <p>Finish within a minute with <code>POST /auth/sso/complete</code>:</p>
                    <pre>curl -s \(WebPage.escape(base))/api/v1/auth/sso/complete -H 'Content-Type: application/json' -d '{"code": "\(completion)"}'</pre>
                    """)
                page.headers.add("Cache-Control", "no-store")
                page.headers.add("Set-Cookie", clear)
                return page
            }
            let landing = path.isEmpty ? "/" : path
            let separator = landing.contains("?") ? "&" : "?"
            var response = HTTPResponse(status: .seeOther, headers: WebPage.securityHeaders())
            response.headers.add("Location", app + landing + separator + "code=" + completion + "&state=" + FormURLEncoding.encode(state))
            response.headers.add("Cache-Control", "no-store")
            response.headers.add("Set-Cookie", clear)
            return response
        } catch {
            var status = HTTPStatus.badRequest
            let message: String
            if let error = error as? APIError {
                status = error.status.code >= 500 || error.status.code == 403 || error.status.code == 429 ? error.status : .badRequest
                message = error.code == "INVALID_FORM_BODY" ? "This sign-in expired, was already used or was started in another browser. Start again."
                    : error.message
            } else {
                accounts.context.logger.error("sso callback failed", metadata: ["error_type": "\(String(describing: type(of: error)))"])
                message = "The sign-in could not be completed. Try again."
                status = .serviceUnavailable
            }
            var page = WebPage.error(message, status: status, title: "Sign-in failed")
            page.headers.add("Set-Cookie", clear)
            return page
        }
    }

    /// The authorize page's MFA step for a browser that came back from the provider: the page the sign-in was
    /// started from, and the CSRF cookie its forms carry.
    package func mfaPage(user: User, ticket: String, authorizePath: String, request: HTTPRequest, web: WebSession) throws -> HTTPResponse {
        let query = authorizePath.hasPrefix("/oauth2/authorize?") ? String(authorizePath.dropFirst("/oauth2/authorize?".count)) : ""
        guard let csrf = WebSession.cookies(request)[web.csrfCookie], !query.isEmpty,
              case .success(let authorize) = try accounts.context.database.read({
                  try AuthorizeRequest.parse(FormURLEncoding.decode(query), config: accounts.context.config, in: $0)
              })
        else { return WebPage.error("This sign-in expired. Start again from the application.", status: .badRequest) }
        return try AuthorizeRoutes.mfaPage(authorize, user: user, ticket: ticket, csrf: csrf, notice: nil, error: nil, accounts: accounts)
    }

    package static let linkRequired = APIError(.forbidden, code: "SSO_LINK_REQUIRED", message: """
        An account already uses this email. Sign in to it, then link single sign-on from the account (POST /users/@me/sso/link).
        """)
    package static let emailTaken = APIError(.forbidden, code: "SSO_REQUIRED", message: "An account already uses this email; it cannot sign in with single sign-on.")
    package static let alreadyLinked = APIError(.badRequest, code: "SSO_IDENTITY_ALREADY_LINKED",
                                        message: "This provider account is already linked to another account.")

    /// Signs in the linked account (MFA still applying), links the signed-in user who asked for it, claims an
    /// unverified account, or provisions one. An email is trusted for matching only when the provider says it is
    /// verified (OIDC Core §5.7: otherwise anyone could claim anyone's address there).
    ///
    /// `deferTo`: at our callback, nothing is handed out yet: the outcome is kept under a one-time completion
    /// code (60 s, stored hashed) for `POST /auth/sso/complete {code}`, and `redirectTo` comes back with it.
    package func signIn(_ identity: OIDCIdentity, provider: SSOProvider, linkUserID: UInt64?, deferTo redirectTo: String? = nil,
                        request: HTTPRequest) throws -> SignInResult {
        let providerSettings = provider.settings
        let email = identity.emailVerified ? identity.email.flatMap { AccountValidation.email($0) == nil ? $0 : nil } : nil
        if let email, !providerSettings.allowedDomains.isEmpty {
            let domain = String(email.split(separator: "@").last ?? "").lowercased()
            guard providerSettings.allowedDomains.contains(domain) else {
                accounts.audit.record("login.failure", outcome: "refused", request: request, detail: "sso_domain")
                throw APIError(.forbidden, code: "SSO_REQUIRED", message: "This email domain may not sign in here.")
            }
        } else if email == nil && !providerSettings.allowedDomains.isEmpty {
            throw APIError(.forbidden, code: "SSO_REQUIRED", message: "The provider gave no verified email.")
        }
        let now = accounts.now
        enum Outcome { case result(SignInResult), refused(APIError) }
        let outcome = try accounts.write { db, invalidations -> Outcome in
            /// Keeps `outcome` for the user under a fresh completion code.
            func completion(_ kind: String, _ userID: UInt64) throws -> SignInResult {
                let code = Base64URL.encode(SecureRandom.bytes(32))
                try SSOStore.insertCompletion(.init(provider: provider.name, userID: userID, outcome: kind, redirectTo: redirectTo ?? "",
                                                    expiresAt: now + Self.completionLifetime),
                                              codeHash: SHA256.hash(utf8: code), in: db)
                return .completion(code)
            }
            var user: User?
            let linkedTo = try SSOStore.linkedUser(issuer: identity.issuer, subject: identity.subject, in: db)
            if let linkUserID {
                // An explicit link by the signed-in user who started it (sudo at the start).
                guard settings.linkExistingAccounts else { return .refused(Self.linkingDisabled) }
                if let linkedTo, linkedTo != linkUserID { return .refused(Self.alreadyLinked) }
                guard let target = try UserStore.find(id: linkUserID, in: db), !target.isBot else { return .refused(Self.invalidState) }
                try SSOStore.link(issuer: identity.issuer, subject: identity.subject, provider: provider.name, userID: target.id,
                                  email: email, now: now, in: db)
                accounts.audit.record("sso.linked", outcome: "success", userID: target.id, request: request)
                return .result(redirectTo == nil ? .linked(target.id) : try completion("linked", target.id))
            } else if let linkedTo {
                user = try UserStore.find(id: linkedTo, in: db)
            } else if let email, var existing = try UserStore.find(email: email, in: db) {
                // An email match alone never signs in a verified account: its owner signs in locally and links.
                guard settings.linkExistingAccounts, !existing.isBot else { return .refused(Self.emailTaken) }
                guard !existing.verified else {
                    accounts.audit.record("login.failure", outcome: "refused", userID: existing.id, request: request, detail: "sso_link_required")
                    return .refused(Self.linkRequired)
                }
                if !existing.verified && !existing.isBot {
                    // Pre-account hijacking: someone may have registered this address before its owner. The
                    // provider has now proved who owns it, so whatever that someone set up is shut out first.
                    try accounts.claimUnverifiedAccount(existing.id, reason: "sso_claimed_unverified_account", keepPassword: false,
                                                        request: request, in: db, invalidations: &invalidations)
                    existing = try UserStore.find(id: existing.id, in: db) ?? existing
                }
                user = existing
            } else if let email, providerSettings.autoProvision, try UserStore.find(email: email, in: db) == nil {
                let username = AccountValidation.derivedUsername(globalName: identity.name, email: email)
                user = try UserStore.insert(.init(id: accounts.context.snowflakes.next(), username: username, globalName: nil, email: email,
                                                  verified: true, passwordHash: nil, createdAt: now), in: db)
            } else if email == nil, identity.provisionsWithoutEmail, providerSettings.autoProvision {
                // AT Protocol: a first sign-in by this DID gets an account named after the handle, with no email.
                let label = identity.name.map { String($0.split(separator: ".").first ?? "") }
                let username = AccountValidation.derivedUsername(globalName: label, email: nil)
                user = try UserStore.insert(.init(id: accounts.context.snowflakes.next(), username: username, globalName: identity.name,
                                                  email: nil, verified: false, passwordHash: nil, createdAt: now), in: db)
            } else {
                return .refused(APIError(.forbidden, code: "SSO_REQUIRED",
                                         message: email == nil ? "The provider gave no verified email." : "No account uses this email."))
            }
            guard let user, !user.isBot else { return .refused(Self.required) }
            // The account's own second factor is not skipped: the provider proved who signs in, not that a second
            // factor was used, unless its signed `amr` shows MFA there (and that is trusted).
            if user.hasMFA && !(settings.trustProviderMFA && SSOSettings.amrShowsMFA(identity.amr)) {
                try SSOStore.touchLastLogin(issuer: identity.issuer, subject: identity.subject, now: now, in: db)
                accounts.audit.record("login.mfa_required", outcome: "success", userID: user.id, request: request, detail: "sso")
                if redirectTo != nil { return .result(try completion("mfa", user.id)) }
                return .result(.mfa(user, try MFATicket.issue(userID: user.id, now: now, in: db)))
            }
            try SSOStore.recordSignIn(issuer: identity.issuer, subject: identity.subject, provider: provider.name, userID: user.id,
                                      email: email, now: now, handle: identity.provisionsWithoutEmail ? identity.name : nil, in: db)
            if email != nil && !user.verified { try UserStore.markVerified(userID: user.id, in: db) }
            // Password and code failures never block SSO (LG-02); a sign-in here resets their count.
            try AccountLockout.recordSuccess(userID: user.id, in: db)
            accounts.audit.record("login.success", outcome: "success", userID: user.id, request: request, detail: "sso")
            if redirectTo != nil { return .result(try completion("session", user.id)) }
            return .result(.session(user.id, try accounts.createSession(for: user.id, request: request, in: db, &invalidations)))
        }
        switch outcome {
        case .refused(let error): throw error
        case .result(let result): return result
        }
    }
}

extension Accounts {
    /// Local sign-in (password login, registration, password reset, passkeys) answers 403 `SSO_REQUIRED` when
    /// `sso.enforced` is on (real server: `LocalAuthMiddleware`).
    package func refuseLocalAuthWhenSSOEnforced() throws(APIError) {
        if context.config.isSSOEnforced { throw SSOService.required }
    }
}
