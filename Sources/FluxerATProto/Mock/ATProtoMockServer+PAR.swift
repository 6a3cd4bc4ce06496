import FluxerCrypto
import FluxerJSON

/// The pushed authorization request endpoint (RFC 9126 §2), as strict as the atproto profile wants it.
extension ATProtoMockServer {
    /// The `request_uri` prefix (RFC 9126 §2.2).
    static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

    /// In order: a DPoP proof (with nonce); the client known and authenticated; the parameters complete, unrepeated
    /// and within the client's registration; then a `request_uri` bound to the proof's key.
    func pushedAuthorization(_ request: MockRequest) -> ATProtoHTTPResponse {
        let nonce = [("DPoP-Nonce", currentNonce())]
        let refuse = { (status: Int, code: String, reason: String) in MockResponse.oauthError(status, code, reason, headers: nonce) }
        guard let form = request.form else { return refuse(400, "invalid_request", "the body must be a form with unrepeated parameters") }
        let dpop = verifyDPoP(request, htu: url("/oauth/par"))
        guard case let .valid(jkt) = dpop else { return dpopRefusal(dpop) }
        guard let clientID = form["client_id"], let client = client(clientID) else { return refuse(401, "invalid_client", "unknown client") }
        if let reason = clientAuthenticationFailure(form, client: client) { return refuse(401, "invalid_client", reason) }
        if let reason = parameterFailure(form, client: client) { return refuse(400, "invalid_request", reason) }
        guard let redirectURI = form["redirect_uri"], let scope = form["scope"], let state = form["state"],
              let challenge = form["code_challenge"]
        else { return refuse(400, "invalid_request", "missing parameter") }
        let now = environment.now()
        let requestURI = Self.requestURIPrefix + Base64URL.encode(environment.randomBytes(24))
        let pushed = MockPushedRequest(clientID: clientID, redirectURI: redirectURI, scope: scope, state: state,
                                       codeChallenge: challenge, loginHint: form["login_hint"], dpopJKT: jkt,
                                       expiresAt: now + Self.requestURILifetime)
        self.state.withLock { state in
            state.prune(now: now)
            state.requests[requestURI] = pushed
        }
        return MockResponse.json(201, ["request_uri": .string(requestURI), "expires_in": .int(Self.requestURILifetime)], headers: nonce)
    }

    /// RFC 9126 §2.1 and the atproto profile: `response_type=code`, a registered `redirect_uri`, a `scope` within the
    /// client's and including `atproto`, a `state`, an S256 PKCE challenge; no `request_uri` or `request`.
    private func parameterFailure(_ form: [String: String], client: MockClient) -> String? {
        guard form["request_uri"] == nil, form["request"] == nil else { return "request_uri and request are not allowed here" }
        guard form["response_type"] == "code" else { return "response_type must be code" }
        guard let redirect = form["redirect_uri"], client.redirectURIs.contains(redirect) else { return "redirect_uri is not registered" }
        guard let scope = form["scope"] else { return "scope is required" }
        let scopes = scope.split(separator: " ").map(String.init)
        guard scopes.contains("atproto"), scopes.allSatisfy(client.scopes.contains) else {
            return "scope must include atproto and stay within the client's"
        }
        guard let state = form["state"], !state.isEmpty else { return "state is required" }
        guard form["code_challenge_method"] == "S256" else { return "code_challenge_method must be S256" }
        guard let challenge = form["code_challenge"], challenge.utf8.count == 43, Base64URL.decode(challenge)?.count == 32
        else { return "code_challenge must be an S256 challenge" }
        return nil
    }
}
