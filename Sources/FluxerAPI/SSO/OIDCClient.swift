import HTTPClient
import FluxerCrypto
import HTTPServer
import FoundationEssentials
import Synchronization

/// How the relying party reaches the provider: real HTTP(S), or (for the built-in dev provider) a direct call
/// into this process, so the mock works whatever address the server is reached at.
package protocol OIDCTransport: Sendable {
    func get(_ url: String, headers: [(String, String)]) throws(APIError) -> (status: Int, body: [UInt8])
    func post(_ url: String, headers: [(String, String)], body: [UInt8]) throws(APIError) -> (status: Int, body: [UInt8])
}

/// HTTP(S) on libcurl (`HTTPClient`): verified TLS, no redirects, a 5 s connect and `timeoutMilliseconds` total
/// per exchange, responses capped at 1 MiB. Hosts the provider's configuration names (issuer and endpoints) are
/// trusted even on loopback or private addresses; anything else a discovery document points at must be public.
package struct HTTPOIDCTransport: OIDCTransport {
    package let client: HTTPClient

    package init(timeoutMilliseconds: Int, trustedHosts: Set<String>, allowsPlainHTTP: Bool) {
        client = HTTPClient(policy: HTTPClientPolicy(
            connectTimeout: .milliseconds(min(5_000, timeoutMilliseconds)), totalTimeout: .milliseconds(timeoutMilliseconds),
            allowsPlainHTTP: allowsPlainHTTP, addressRule: .publicOnly, allowedHosts: trustedHosts))
    }

    package func get(_ url: String, headers: [(String, String)]) throws(APIError) -> (status: Int, body: [UInt8]) {
        try send(HTTPClientRequest(method: "GET", url: url, headers: headers.map { (name: $0.0, value: $0.1) }))
    }

    package func post(_ url: String, headers: [(String, String)], body: [UInt8]) throws(APIError) -> (status: Int, body: [UInt8]) {
        try send(HTTPClientRequest(method: "POST", url: url, headers: headers.map { (name: $0.0, value: $0.1) }, body: body))
    }

    private func send(_ request: HTTPClientRequest) throws(APIError) -> (status: Int, body: [UInt8]) {
        do {
            let response = try client.send(request)
            return (response.status, response.body)
        } catch {
            // The error names no URL, query or body (HTTPClientError's rule); the log gets it, the client a generic answer.
            throw OIDCClient.upstream("the provider could not be reached (\(error))")
        }
    }
}

/// The provider's endpoints, configured or discovered (OpenID Connect Discovery 1.0 §3).
package struct OIDCEndpoints: Sendable, Equatable {
    package var issuer: String
    package var authorization: String
    package var token: String
    package var jwks: String
    package var userinfo: String?
}

/// What an ID token (and, when it lacks them, userinfo) says about the person.
package struct OIDCIdentity: Sendable, Equatable {
    /// The issuer that vouches for `subject` (a subject is unique only within its issuer).
    package var issuer: String
    package var subject: String
    package var email: String?
    package var emailVerified: Bool
    package var name: String?
    /// The ID token's `amr` (RFC 8176 authentication methods); only the signed ID token is believed for it.
    package var amr: [String] = []
    /// An identity whose provider vouches for no email (AT Protocol: keyed by DID): a first sign-in may provision
    /// an account without one, named after `name` (the handle).
    package var provisionsWithoutEmail = false
}

/// An OpenID Connect relying party for the authorization code flow with PKCE (S256) and a nonce:
/// OpenID Connect Core 1.0 §3.1.3.7 ID token validation, RFC 8725 algorithm rules (asymmetric only; the key's
/// own algorithm), JWKS cached for 10 minutes and fetched again when a token names a key the cache lacks (provider
/// key rotation) or a known key fails (at most every 30 s).
package final class OIDCClient: Sendable {
    package let settings: SSOSettings
    package let transport: any OIDCTransport
    /// Dev mode: discovered endpoints may be plain http on any host. Otherwise https, or http on loopback only.
    package let allowHTTP: Bool
    /// The issuer to expect when `settings.issuer` is "mock" (the built-in provider's URL is only known at run time).
    private let mockIssuer: (@Sendable () -> String)?
    private let discovered = Mutex<(endpoints: OIDCEndpoints, at: Int64)?>(nil)
    /// One discovery fetch at a time, and none for 30 s after a failure: the login page asks for the endpoints
    /// on every rendering, so a provider that is down must not hold a worker per request.
    private let discovering = Mutex<(fetching: Bool, failedAt: Int64)>((false, .min))
    package static let discoveryRetryGap: Int64 = 30_000
    private let keys = Mutex<(keys: [(kid: String?, key: COSEKey)], at: Int64)?>(nil)

    package static let discoveryTTL: Int64 = 3_600_000
    package static let jwksTTL: Int64 = 600_000
    package static let jwksRefetchGap: Int64 = 30_000
    package static let jwksUnknownKidGap: Int64 = 0
    /// Clock skew allowed on `exp` and `iat`.
    package static let skewSeconds: Int64 = 60

    package init(settings: SSOSettings, transport: any OIDCTransport, mockIssuer: (@Sendable () -> String)? = nil, allowHTTP: Bool = false) {
        self.settings = settings
        self.transport = transport
        self.allowHTTP = allowHTTP
        self.mockIssuer = mockIssuer
    }

    package static func failure(_ reason: String) -> APIError {
        APIError(.badRequest, code: "SSO_AUTHENTICATION_FAILED", message: "Single sign-on failed: \(reason).")
    }

    /// The provider could not be used (unreachable, timed out, a 5xx or an unreadable document): 502
    /// `SSO_PROVIDER_ERROR` once logged (issue 14: "upstream errors reach clients as a clear 502").
    package static func upstream(_ reason: String) -> APIError {
        APIError(.init(502), code: "SSO_PROVIDER_ERROR", message: "Single sign-on provider failed: \(reason).")
    }

    /// The issuer ID tokens must carry.
    package var expectedIssuer: String { settings.isMock ? (mockIssuer?() ?? "") : settings.issuer }

    // MARK: - Endpoints

    package func endpoints(now: Int64) throws(APIError) -> OIDCEndpoints {
        let configured = OIDCEndpoints(issuer: expectedIssuer, authorization: settings.authorizationURL, token: settings.tokenURL,
                                       jwks: settings.jwksURL, userinfo: settings.userinfoURL.isEmpty ? nil : settings.userinfoURL)
        if !configured.authorization.isEmpty && !configured.token.isEmpty && !configured.jwks.isEmpty { return configured }
        let cached = discovered.withLock { $0 }
        if let cached, now - cached.at < Self.discoveryTTL { return cached.endpoints }
        let mayFetch = discovering.withLock { state -> Bool in
            guard !state.fetching, state.failedAt == .min || now - state.failedAt >= Self.discoveryRetryGap else { return false }
            state.fetching = true
            return true
        }
        guard mayFetch else {
            // Someone else is fetching, or the last attempt failed moments ago: a stale document beats none.
            if let cached { return cached.endpoints }
            throw Self.failure("the provider's discovery document is not available right now")
        }
        do throws(APIError) {
            let endpoints = try discover(configured, now: now)
            discovering.withLock { $0 = (false, .min) }
            return endpoints
        } catch {
            discovering.withLock { $0 = (false, now) }
            if let cached { return cached.endpoints }
            throw error
        }
    }

    private func discover(_ configured: OIDCEndpoints, now: Int64) throws(APIError) -> OIDCEndpoints {
        struct Document: Decodable {
            var issuer: String
            var authorization_endpoint: String
            var token_endpoint: String
            var jwks_uri: String
            var userinfo_endpoint: String?
        }
        let issuer = expectedIssuer
        let url = (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
        let (status, body) = try transport.get(url, headers: [("Accept", "application/json")])
        guard status == 200, let document = try? JSONDecoder().decode(Document.self, from: Data(body)) else {
            throw Self.upstream("the provider's discovery document could not be read (HTTP \(status))")
        }
        // Discovery §4.3: the document's issuer must be exactly the one configured.
        guard document.issuer == issuer else { throw Self.failure("the discovery document names another issuer") }
        let endpoints = OIDCEndpoints(
            issuer: issuer,
            authorization: configured.authorization.isEmpty ? document.authorization_endpoint : configured.authorization,
            token: configured.token.isEmpty ? document.token_endpoint : configured.token,
            jwks: configured.jwks.isEmpty ? document.jwks_uri : configured.jwks,
            userinfo: configured.userinfo ?? document.userinfo_endpoint)
        // Endpoints found in the document obey the rule the configured ones do (https outside dev mode, loopback
        // aside): a document must not move the code exchange or the keys to plain http.
        for url in [endpoints.authorization, endpoints.token, endpoints.jwks] + (endpoints.userinfo.map { [$0] } ?? [])
        where !SSOSettings.isAcceptableProviderURL(url, dev: allowHTTP || settings.isMock) {
            throw Self.failure("the discovery document names a plain http endpoint (\(url.prefix(100)))")
        }
        discovered.withLock { $0 = (endpoints, now) }
        return endpoints
    }

    // MARK: - Token exchange

    package struct TokenResponse: Decodable {
        package var id_token: String?
        package var access_token: String?
        package var token_type: String?
    }

    /// RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5); client_secret_basic when there is a secret.
    package func exchange(code: String, verifier: String, redirectURI: String, endpoints: OIDCEndpoints) throws(APIError) -> TokenResponse {
        var form: [(String, String)] = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                                        ("code_verifier", verifier)]
        var headers: [(String, String)] = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        if settings.clientSecret.isEmpty {
            form.append(("client_id", settings.clientID))
        } else {
            // RFC 6749 §2.3.1: each part form-encoded, then Basic.
            let credentials = FormURLEncoding.encode(settings.clientID) + ":" + FormURLEncoding.encode(settings.clientSecret)
            headers.append(("Authorization", "Basic " + Base64.encode(Array(credentials.utf8))))
        }
        let body = form.map { FormURLEncoding.encode($0.0) + "=" + FormURLEncoding.encode($0.1) }.joined(separator: "&")
        let (status, response) = try transport.post(endpoints.token, headers: headers, body: Array(body.utf8))
        if status >= 500 { throw Self.upstream("the provider's token endpoint failed (HTTP \(status))") }
        guard status == 200, let tokens = try? JSONDecoder().decode(TokenResponse.self, from: Data(response)) else {
            throw Self.failure("the provider refused the code (HTTP \(status))")
        }
        return tokens
    }

    // MARK: - ID token

    package struct Claims: Decodable {
        package var iss: String?
        package var sub: String?
        package var aud: Audience?
        package var azp: String?
        package var exp: Int64?
        package var iat: Int64?
        package var nonce: String?
        package var email: String?
        package var email_verified: Flag?
        package var name: String?
        package var amr: Methods?
    }

    /// `amr`: an array of strings (RFC 8176); anything else counts as no methods, never as a refusal.
    package struct Methods: Decodable {
        package var values: [String]
        package init(from decoder: any Decoder) throws {
            values = (try? decoder.singleValueContainer().decode([String].self)) ?? []
        }
    }

    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    package struct Audience: Decodable {
        package var values: [String]
        package init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(String.self) { values = [one] } else { values = try c.decode([String].self) }
        }
    }

    /// A boolean some providers send as a string.
    package struct Flag: Decodable {
        package var value: Bool
        package init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { value = b } else { value = (try? c.decode(String.self)) == "true" }
        }
    }

    package struct Header: Decodable {
        package var alg: String
        package var kid: String?
        package var typ: String?
        package var crit: [String]?
    }

    /// OpenID Connect Core §3.1.3.7: signature by a provider key with the key's own algorithm, `iss` exactly the
    /// issuer, `aud` containing the client id (and `azp` equal to it when there are several audiences), `exp` in
    /// the future and `iat` not in it (±60 s), the nonce of this sign-in, and a non-empty `sub`.
    package func verifyIDToken(_ token: String, nonce: String, endpoints: OIDCEndpoints, now: Int64) throws(APIError) -> OIDCIdentity {
        guard let jws = JOSE.CompactJWS(token), let header = try? JSONDecoder().decode(Header.self, from: Data(jws.header)) else {
            throw Self.failure("the ID token is malformed")
        }
        // RFC 7515 §4.1.11: an unknown critical extension means the token cannot be processed.
        guard header.crit == nil else { throw Self.failure("the ID token uses a critical extension") }
        guard ["RS256", "ES256", "EdDSA"].contains(header.alg) else { throw Self.failure("the ID token's algorithm \(header.alg.prefix(16)) is not accepted") }
        var verified = try candidates(header, endpoints: endpoints, now: now, refetch: false).contains { JOSE.verify(jws, alg: header.alg, key: $0) }
        if !verified {
            // A rotated provider key: fetch the set again (rate limited) and retry once.
            verified = try candidates(header, endpoints: endpoints, now: now, refetch: true).contains { JOSE.verify(jws, alg: header.alg, key: $0) }
        }
        guard verified else { throw Self.failure("the ID token's signature does not verify") }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: Data(jws.payload)) else { throw Self.failure("the ID token's claims are malformed") }
        guard claims.iss == endpoints.issuer else { throw Self.failure("the ID token is from another issuer") }
        guard let audience = claims.aud?.values, audience.contains(settings.clientID) else { throw Self.failure("the ID token is for another client") }
        if audience.count > 1 || claims.azp != nil {
            guard claims.azp == settings.clientID else { throw Self.failure("the ID token was issued to another party") }
        }
        let seconds = now / 1000
        // Compared without adding to the token's values, which a hostile provider could set to Int64.max.
        guard let exp = claims.exp, exp > seconds - Self.skewSeconds else { throw Self.failure("the ID token has expired") }
        guard let iat = claims.iat, iat <= seconds + Self.skewSeconds else { throw Self.failure("the ID token is not yet valid") }
        guard let tokenNonce = claims.nonce, ConstantTime.equals(tokenNonce, nonce) else { throw Self.failure("the ID token is not for this sign-in") }
        guard let subject = claims.sub, (1...255).contains(subject.utf8.count) else { throw Self.failure("the ID token has no subject") }
        return OIDCIdentity(issuer: endpoints.issuer, subject: subject, email: claims.email,
                            emailVerified: claims.email_verified?.value ?? false, name: claims.name, amr: Array((claims.amr?.values ?? []).prefix(32)))
    }

    private func candidates(_ header: Header, endpoints: OIDCEndpoints, now: Int64, refetch: Bool) throws(APIError) -> [COSEKey] {
        var set = keys.withLock { $0 }
        let stale = set.map { now - $0.at >= Self.jwksTTL } ?? true
        // A kid the cached set lacks means the provider rotated: fetch again at once (ID tokens only come from
        // the provider's own token endpoint, one per sign-in, and sign-ins are rate limited, so nobody can make
        // us fetch in a loop). A known kid whose signature failed is fetched again at most every 30 s.
        let unknownKid = header.kid.map { kid in !(set?.keys.contains { $0.kid == kid || $0.kid == nil } ?? false) } ?? false
        let gap = unknownKid ? Self.jwksUnknownKidGap : Self.jwksRefetchGap
        let mayRefetch = set.map { now - $0.at >= gap } ?? true
        if stale || (refetch && mayRefetch) {
            let fetched = try fetchKeys(endpoints)
            set = (fetched, now)
            keys.withLock { $0 = (fetched, now) }
        } else if refetch {
            return []
        }
        let all = set?.keys ?? []
        // A JWK without a kid may sign any token (some providers publish one unnamed key).
        let matching = all.filter { entry in (header.kid == nil || entry.kid == nil || entry.kid == header.kid) && JOSE.algorithm(of: entry.key) == header.alg }
        return matching.map(\.key)
    }

    /// RFC 7517 JWK Set: RSA (≥ 2048 bits), EC P-256 and OKP Ed25519 public keys meant for signatures; others
    /// are skipped.
    private func fetchKeys(_ endpoints: OIDCEndpoints) throws(APIError) -> [(kid: String?, key: COSEKey)] {
        struct JWK: Decodable {
            var kty: String
            var kid: String?
            var use: String?
            var alg: String?
            var crv: String?
            var x: String?
            var y: String?
            var n: String?
            var e: String?
        }
        struct JWKSet: Decodable { var keys: [JWK] }
        let (status, body) = try transport.get(endpoints.jwks, headers: [("Accept", "application/json")])
        guard status == 200, let set = try? JSONDecoder().decode(JWKSet.self, from: Data(body)) else {
            throw Self.upstream("the provider's keys could not be read (HTTP \(status))")
        }
        var out: [(kid: String?, key: COSEKey)] = []
        for jwk in set.keys where jwk.use == nil || jwk.use == "sig" {
            var key: COSEKey?
            switch (jwk.kty, jwk.crv) {
            case ("EC", "P-256"):
                if let x = jwk.x.flatMap(Base64URL.decode), let y = jwk.y.flatMap(Base64URL.decode), x.count == 32, y.count == 32 {
                    key = .ec2P256(x: x, y: y)
                }
            case ("OKP", "Ed25519"):
                if let x = jwk.x.flatMap(Base64URL.decode), x.count == 32 { key = .ed25519(x: x) }
            case ("RSA", _):
                if let n = jwk.n.flatMap(Base64URL.decode), let e = jwk.e.flatMap(Base64URL.decode), !e.isEmpty, e.count <= 8 {
                    let modulus = Array(n.drop { $0 == 0 })
                    let bits = modulus.count * 8 - (modulus.first.map { $0.leadingZeroBitCount } ?? 8)
                    if (COSEKey.minimumRSABits...COSEKey.maximumRSABits).contains(bits) { key = .rsa(n: modulus, e: e) }
                }
            default:
                break
            }
            // A key that names an algorithm is used only with it.
            if let key, jwk.alg == nil || jwk.alg == JOSE.algorithm(of: key) { out.append((jwk.kid, key)) }
        }
        return out
    }

    // MARK: - Userinfo

    /// OpenID Connect Core §5.3.2: the userinfo `sub` must equal the ID token's.
    package func userinfo(accessToken: String, subject: String, endpoints: OIDCEndpoints) throws(APIError) -> OIDCIdentity? {
        guard let url = endpoints.userinfo else { return nil }
        let (status, body) = try transport.get(url, headers: [("Authorization", "Bearer " + accessToken), ("Accept", "application/json")])
        guard status == 200, let claims = try? JSONDecoder().decode(Claims.self, from: Data(body)) else {
            throw Self.upstream("the provider's userinfo could not be read (HTTP \(status))")
        }
        guard claims.sub == subject else { throw Self.failure("userinfo is about someone else") }
        return OIDCIdentity(issuer: endpoints.issuer, subject: subject, email: claims.email,
                            emailVerified: claims.email_verified?.value ?? false, name: claims.name)
    }
}
