import FluxerCrypto

/// The authorization endpoint: a sign-in page for a pushed request, and its approval.
extension ATProtoMockServer {
    /// `GET /oauth/authorize?client_id&request_uri`: only those two parameters (PAR is required, RFC 9126 §4), a
    /// live `request_uri` for that client; then the sign-in page.
    func authorizationPage(_ request: MockRequest) -> ATProtoHTTPResponse {
        guard let parameters = MockRequest.parameters(request.query), Set(parameters.keys) == ["client_id", "request_uri"],
              let requestURI = parameters["request_uri"], let clientID = parameters["client_id"]
        else {
            return MockResponse.html(400, MockSignInPage.error(
                "This server requires pushed authorization requests: the URL must carry only client_id and request_uri."))
        }
        guard let pushed = liveRequest(requestURI), pushed.clientID == clientID else {
            return MockResponse.html(400, MockSignInPage.error("The request_uri is unknown, expired or already used."))
        }
        let handles = state.withLock { $0.accounts.filter { $0.pds == pdsURL }.map(\.handle) }
        return MockResponse.html(200, MockSignInPage.page(action: url("/oauth/authorize"), requestURI: requestURI, clientID: clientID,
                                                          handles: handles, loginHint: pushed.loginHint))
    }

    /// `POST /oauth/authorize` (`request_uri`, and `handle` or `other_handle`, or `deny`): spends the request and
    /// redirects to the client with `code`, `state` and `iss` (RFC 9207), or `error=access_denied`. Any valid handle
    /// signs in, created on the fly.
    func approve(_ request: MockRequest) -> ATProtoHTTPResponse {
        guard let form = request.form, let requestURI = form["request_uri"] else {
            return MockResponse.html(400, MockSignInPage.error("The form is incomplete."))
        }
        let denied = form["deny"] != nil
        let typed = (form["handle"].flatMap { $0.isEmpty ? nil : $0 } ?? form["other_handle"] ?? "").trimmingASCIIWhitespace
        var did: String?
        switch ATIdentifier(typed) {
        case let .handle(handle)?: if !denied { did = createAccount(handle: handle.string) }
        case let .did(known)?: did = state.withLock { $0.account(did: known.string)?.did }
        case nil: break
        }
        guard denied || did != nil else { return MockResponse.html(400, MockSignInPage.error("That is not a handle of this server.")) }
        // Spend the request_uri: a second approval of the same request is refused (RFC 9126 §4, one-time use).
        let pushed: MockPushedRequest? = state.withLock { state in
            guard var pushed = state.requests[requestURI], !pushed.used, pushed.expiresAt >= environment.now() else { return nil }
            pushed.used = true
            state.requests[requestURI] = pushed
            return pushed
        }
        guard let pushed else { return MockResponse.html(400, MockSignInPage.error("The request_uri is unknown, expired or already used.")) }
        let iss = state.withLock { $0.faults.callbackIssuer } ?? issuer
        if denied {
            return MockResponse.redirect(Self.appending(pushed.redirectURI, [("error", "access_denied"), ("state", pushed.state), ("iss", iss)]))
        }
        guard let did else { return MockResponse.html(400, MockSignInPage.error("That is not a handle of this server.")) }
        let code = "cod-" + Base64URL.encode(environment.randomBytes(32))
        let issued = MockCode(clientID: pushed.clientID, redirectURI: pushed.redirectURI, codeChallenge: pushed.codeChallenge,
                              dpopJKT: pushed.dpopJKT, did: did, scope: pushed.scope, expiresAt: environment.now() + Self.codeLifetime)
        state.withLock { $0.codes[code] = issued }
        return MockResponse.redirect(Self.appending(pushed.redirectURI, [("code", code), ("state", pushed.state), ("iss", iss)]))
    }

    private func liveRequest(_ requestURI: String) -> MockPushedRequest? {
        let now = environment.now()
        return state.withLock { state in
            guard let pushed = state.requests[requestURI], !pushed.used, pushed.expiresAt >= now else { return nil }
            return pushed
        }
    }

    static func appending(_ url: String, _ parameters: [(String, String)]) -> String {
        url + (url.contains("?") ? "&" : "?") + FormEncoding.encode(parameters)
    }
}
