import FluxerCrypto

extension ATProtoOAuthClient {
    /// The longest `request_uri` accepted from a PAR response.
    static let maxRequestURIBytes = 1024

    /// Begins a sign-in. With an identifier (a handle, `@handle` or a DID), resolves and verifies it and discovers
    /// the authorization server from its PDS; without one, starts from the configured `service` (atproto OAuth,
    /// "Authorization Request"). Pushes the request (RFC 9126 §2) and returns the authorization URL.
    public func start(identifier: String?) throws(ATProtoError) -> ATProtoStart {
        var identity: ATProtoIdentity?
        let server: ATProtoAuthorizationServer
        let hint = identifier?.trimmingASCIIWhitespace ?? ""
        var loginHint: String?
        if !hint.isEmpty {
            guard let parsed = ATIdentifier(hint) else { throw .invalidIdentifier }
            let resolvedIdentity = try identities.resolve(parsed)
            identity = resolvedIdentity
            loginHint = parsed.string
            server = try discovery.discover(resource: resolvedIdentity.pds)
        } else {
            server = try discovery.discover(service: resolved.service)
        }

        let dpopKey = environment.makeDPoPKey()
        let verifier = PKCE.makeVerifier(environment)
        let state = environment.randomToken()
        var fields: [(String, String)] = [
            ("client_id", configuration.clientID), ("response_type", "code"),
            ("code_challenge", PKCE.challenge(for: verifier)), ("code_challenge_method", "S256"),
            ("state", state), ("redirect_uri", configuration.redirectURI), ("scope", configuration.scope),
        ]
        if let loginHint { fields.append(("login_hint", loginHint)) }
        let issuer = server.issuerIdentifier
        var nonce: String?
        let exchange = DPoPExchange(fetcher: fetcher, environment: environment, key: dpopKey)
        let response = try exchange.send(
            method: "POST", url: server.parEndpoint,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: { Array(FormEncoding.encode(fields + self.assertionFields(audience: issuer)).utf8) },
            nonce: &nonce, step: .pushedAuthorization)
        let requestURI = try Self.requestURI(from: response)
        let url = server.authorizationEndpoint.withoutQuery + "?"
            + FormEncoding.encode([("client_id", configuration.clientID), ("request_uri", requestURI)])
        let pending = ATProtoPending(
            issuer: issuer, state: state, expectedDID: identity?.did.string, tokenEndpoint: server.tokenEndpoint.withoutQuery,
            codeVerifier: verifier, dpopKeyDER: dpopKey.privateKeyDER, dpopNonce: nonce,
            redirectURI: configuration.redirectURI, createdAt: environment.now())
        return ATProtoStart(authorizationURL: url, state: state, pending: pending)
    }

    /// RFC 9126 §2.2: 201 with `request_uri` and `expires_in`; §2.3: errors as RFC 6749 §5.2.
    private static func requestURI(from response: ATProtoHTTPResponse) throws(ATProtoError) -> String {
        struct Output: Decodable {
            var request_uri: String
            var expires_in: Int64?
        }
        switch response.status {
        case 200, 201:
            let output = try ATProtoJSON.decode(Output.self, from: response.body, step: .pushedAuthorization)
            guard !output.request_uri.isEmpty, output.request_uri.utf8.count <= maxRequestURIBytes else {
                throw .malformed(.pushedAuthorization)
            }
            return output.request_uri
        case 400, 401:
            throw .oauthError(.pushedAuthorization, code: ATProtoJSON.sanitizedCode(ATProtoJSON.oauthErrorCode(response.body)))
        default:
            throw .badStatus(.pushedAuthorization, response.status)
        }
    }
}
