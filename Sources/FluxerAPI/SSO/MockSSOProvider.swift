import FluxerCrypto
import FoundationEssentials
import HTTPServer
import Synchronization
import FluxerDomain
import FluxerJSON

/// The built-in OpenID Connect provider of dev mode, under `/_dev/sso` (DESIGN: "a built-in mock SSO provider"):
/// discovery, an authorize page that asks only for an email (or takes `login_hint`), a token endpoint that
/// checks the code, redirect URI, client id and PKCE verifier, ES256 ID tokens signed with a key made at start-up,
/// the JWKS, and userinfo. Every email is "verified": it is for development, never mounted outside dev mode.
package final class MockSSOProvider: Sendable {
    package static let clientID = "fluxer-auth-dev"
    package static let codeLifetime: Int64 = 60_000
    package static let tokenLifetimeSeconds: Int64 = 300

    private let key = P256SoftKey()
    package let kid = "mock-" + Base64URL.encode(SecureRandom.bytes(6))
    /// This server's base URL (known once it listens).
    private let base: @Sendable () -> String
    private let clock: @Sendable () -> Int64

    private struct Grant {
        package var email: String
        package var nonce: String?
        package var challenge: String
        package var redirectURI: String
        package var clientID: String
        package var expiresAt: Int64
        /// The ID token's `amr` (RFC 8176), from the authorize request's `amr` (comma-separated), to try how the
        /// relying party treats MFA done at the provider.
        package var amr: [String] = []
    }

    private let codes = Mutex<[String: Grant]>([:])
    private let accessTokens = Mutex<[String: (email: String, expiresAt: Int64)]>([:])

    package init(base: @escaping @Sendable () -> String, clock: @escaping @Sendable () -> Int64) {
        self.base = base
        self.clock = clock
    }

    package var issuer: String { base() + "/_dev/sso" }

    package static func subject(of email: String) -> String {
        "mock-" + Base64URL.encode(Array(SHA256.hash(utf8: email.lowercased()).prefix(16)))
    }

    package func register(on router: inout Router) {
        router.add(.GET, "/_dev/sso/.well-known/openid-configuration") { [self] _ in discovery() }
        router.add(.GET, "/_dev/sso/jwks") { [self] _ in jwks() }
        router.add(.GET, "/_dev/sso/authorize") { [self] request in authorize(pairs: request.queryItems) }
        router.add(.POST, "/_dev/sso/authorize") { [self] request in
            authorize(pairs: FormURLEncoding.decode(String(decoding: request.body, as: UTF8.self)))
        }
        router.add(.POST, "/_dev/sso/token") { [self] request in
            let r = token(form: String(decoding: request.body, as: UTF8.self))
            return .json(HTTPStatus(r.status), r.body, headers: ["Cache-Control": "no-store"])
        }
        router.add(.GET, "/_dev/sso/userinfo") { [self] request in
            let r = userinfo(authorization: request.headers["Authorization"])
            return .json(HTTPStatus(r.status), r.body)
        }
    }

    // MARK: - Endpoints

    package func discovery() -> HTTPResponse {
        let i = issuer
        return .json(.ok, JSONValue.object([
            ("issuer", .string(i)), ("authorization_endpoint", .string(i + "/authorize")), ("token_endpoint", .string(i + "/token")),
            ("jwks_uri", .string(i + "/jwks")), ("userinfo_endpoint", .string(i + "/userinfo")),
            ("response_types_supported", .array([.string("code")])), ("subject_types_supported", .array([.string("public")])),
            ("id_token_signing_alg_values_supported", .array([.string("ES256")])),
            ("code_challenge_methods_supported", .array([.string("S256")])),
        ]))
    }

    package func jwks() -> HTTPResponse {
        guard case .ec2P256(let x, let y) = key.coseKey else { return .json(.ok, "{\"keys\":[]}") }
        return .json(.ok, JSONValue.object([("keys", .array([.object([
            ("kty", "EC"), ("crv", "P-256"), ("x", .string(Base64URL.encode(x))), ("y", .string(Base64URL.encode(y))),
            ("kid", .string(kid)), ("alg", "ES256"), ("use", "sig"),
        ])]))]))
    }

    /// The authorize step: checks the request, then either asks for an email or (with `login_hint`, or the form
    /// posted back) redirects to the client with a code.
    package func authorize(pairs: [(name: String, value: String)]) -> HTTPResponse {
        var q: [String: String] = [:]
        for (name, value) in pairs where q[name] == nil { q[name] = value }
        guard q["response_type"] == "code", let clientID = q["client_id"], !clientID.isEmpty,
              let redirect = q["redirect_uri"], redirect.hasPrefix("http://") || redirect.hasPrefix("https://") || redirect.hasPrefix("fluxer://"),
              q["code_challenge_method"] == "S256", let challenge = q["code_challenge"], challenge.utf8.count == 43,
              q["scope"]?.split(separator: " ").contains("openid") == true
        else {
            return WebPage.error("The mock SSO provider needs response_type=code, client_id, an http(s) redirect_uri, scope with openid and an S256 code_challenge.")
        }
        let email = (q["email"] ?? q["login_hint"])?.trimmingASCIIWhitespace()
        guard let email, AccountValidation.email(email) == nil else {
            let hidden = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"]
                .compactMap { name in q[name].map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(WebPage.escape($0))\">" } }
                .joined(separator: "\n")
            return WebPage.render(title: "Mock SSO", body: """
                <h1>Mock SSO (dev mode)</h1>
                <p>Sign in as any email address. The address counts as verified.</p>
                <form method="post" action="/_dev/sso/authorize">
                \(hidden)
                <label for="email">Email</label>
                <input id="email" name="email" type="email" required autocomplete="email">
                <button type="submit">Continue</button>
                </form>
                """, formTargets: [WebPage.origin(of: redirect)].compactMap { $0 })
        }
        let code = Base64URL.encode(SecureRandom.bytes(32))
        let now = clock()
        codes.withLock { codes in
            codes = codes.filter { $0.value.expiresAt > now }
            codes[code] = Grant(email: email, nonce: q["nonce"], challenge: challenge, redirectURI: redirect, clientID: clientID,
                                expiresAt: now + Self.codeLifetime,
                                amr: (q["amr"] ?? "").split(separator: ",").prefix(8).map { String($0.prefix(16)) })
        }
        var response = HTTPResponse(status: .found)
        response.headers.add("Location", AuthorizeRequest.redirectURL(redirect, [("code", code), ("state", q["state"])]))
        response.headers.add("Cache-Control", "no-store")
        return response
    }

    /// The token endpoint: one use per code; redirect URI, client id and S256 verifier must match.
    package func token(form: String) -> (status: Int, body: [UInt8]) {
        var f: [String: String] = [:]
        for (name, value) in FormURLEncoding.decode(form) where f[name] == nil { f[name] = value }
        func error(_ code: String) -> (Int, [UInt8]) { (400, Array("{\"error\":\"\(code)\"}".utf8)) }
        guard f["grant_type"] == "authorization_code" else { return error("unsupported_grant_type") }
        guard let code = f["code"], let grant = codes.withLock({ $0.removeValue(forKey: code) }), grant.expiresAt > clock(),
              f["redirect_uri"] == grant.redirectURI, f["client_id"] == grant.clientID,
              let verifier = f["code_verifier"], Base64URL.encode(SHA256.hash(utf8: verifier)) == grant.challenge
        else { return error("invalid_grant") }
        let now = clock() / 1000
        var claims: [(String, JSONValue)] = [
            ("iss", .string(issuer)), ("sub", .string(Self.subject(of: grant.email))), ("aud", .string(grant.clientID)),
            ("iat", .int(now)), ("exp", .int(now + Self.tokenLifetimeSeconds)), ("email", .string(grant.email)),
            ("email_verified", .bool(true)), ("name", .string(String(grant.email.split(separator: "@").first ?? ""))),
        ]
        if let nonce = grant.nonce { claims.append(("nonce", .string(nonce))) }
        if !grant.amr.isEmpty { claims.append(("amr", .array(grant.amr.map(JSONValue.string)))) }
        let access = Base64URL.encode(SecureRandom.bytes(32))
        accessTokens.withLock { tokens in
            tokens = tokens.filter { $0.value.expiresAt > now }
            tokens[access] = (grant.email, now + Self.tokenLifetimeSeconds)
        }
        let body = JSONValue.object([
            ("access_token", .string(access)), ("token_type", "Bearer"), ("expires_in", .int(Self.tokenLifetimeSeconds)),
            ("id_token", .string(sign(JSONValue.object(claims).serialized))),
        ]).serialized
        return (200, Array(body.utf8))
    }

    package func userinfo(authorization: String?) -> (status: Int, body: [UInt8]) {
        let now = clock() / 1000
        guard let authorization, authorization.hasPrefix("Bearer "),
              let entry = accessTokens.withLock({ $0[String(authorization.dropFirst(7))] }), entry.expiresAt > now
        else { return (401, Array("{\"error\":\"invalid_token\"}".utf8)) }
        let body = JSONValue.object([("sub", .string(Self.subject(of: entry.email))), ("email", .string(entry.email)), ("email_verified", .bool(true))])
        return (200, Array(body.serialized.utf8))
    }

    /// A compact JWS, ES256 (RFC 7518 §3.4: R ‖ S).
    package func sign(_ claims: String) -> String {
        let header = #"{"alg":"ES256","kid":"\#(kid)","typ":"JWT"}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let raw = JOSE.ecdsaRaw(fromDER: key.sign(Array(input.utf8))) ?? []
        return input + "." + Base64URL.encode(raw)
    }
}

/// The relying party's way to the built-in provider: straight into it, whatever address the server has.
package struct InProcessOIDCTransport: OIDCTransport {
    package let mock: MockSSOProvider

    package func get(_ url: String, headers: [(String, String)]) throws(APIError) -> (status: Int, body: [UInt8]) {
        let path = url.hasPrefix(mock.issuer) ? String(url.dropFirst(mock.issuer.count)) : ""
        switch path {
        case "/.well-known/openid-configuration": return (200, mock.discovery().body)
        case "/jwks": return (200, mock.jwks().body)
        case "/userinfo": return mock.userinfo(authorization: headers.first { $0.0 == "Authorization" }?.1)
        default: return (404, [])
        }
    }

    package func post(_ url: String, headers: [(String, String)], body: [UInt8]) throws(APIError) -> (status: Int, body: [UInt8]) {
        guard url == mock.issuer + "/token" else { return (404, []) }
        return mock.token(form: String(decoding: body, as: UTF8.self))
    }
}
