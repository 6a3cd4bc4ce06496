import FluxerCrypto
import FluxerJSON

/// The token endpoint (RFC 6749 §4.1.3 with RFC 9449 §5 binding) and the PDS's `getSession`.
extension ATProtoMockServer {
    /// In order: a DPoP proof (with nonce); the client authenticated; `grant_type=authorization_code`; a code that
    /// exists, is unspent, unexpired, issued to this client, for this `redirect_uri`, to this DPoP key; the PKCE
    /// verifier. A replayed code also revokes the tokens it bought (RFC 6749 §4.1.2).
    func token(_ request: MockRequest) -> ATProtoHTTPResponse {
        let nonce = [("DPoP-Nonce", currentNonce()), ("Cache-Control", "no-store")]
        let refuse = { (status: Int, code: String, reason: String) in MockResponse.oauthError(status, code, reason, headers: nonce) }
        guard let form = request.form else { return refuse(400, "invalid_request", "the body must be a form with unrepeated parameters") }
        let dpop = verifyDPoP(request, htu: url("/oauth/token"))
        guard case let .valid(jkt) = dpop else { return dpopRefusal(dpop) }
        guard let clientID = form["client_id"], let client = client(clientID) else { return refuse(401, "invalid_client", "unknown client") }
        if let reason = clientAuthenticationFailure(form, client: client) { return refuse(401, "invalid_client", reason) }
        guard form["grant_type"] == "authorization_code" else {
            return refuse(400, "unsupported_grant_type", "only authorization_code is supported")
        }
        guard let code = form["code"], let verifier = form["code_verifier"], let redirectURI = form["redirect_uri"] else {
            return refuse(400, "invalid_request", "code, code_verifier and redirect_uri are required")
        }
        let now = environment.now()
        let spent: Result<MockCode, MockGrantFailure> = state.withLock { state in
            guard var issued = state.codes[code] else { return .failure(.refused("unknown code")) }
            if issued.used {
                for token in issued.accessTokens { state.tokens[token] = nil }
                return .failure(.refused("the code was already used"))
            }
            issued.used = true
            state.codes[code] = issued
            return .success(issued)
        }
        let issued: MockCode
        switch spent {
        case let .success(value): issued = value
        case let .failure(.refused(reason)): return refuse(400, "invalid_grant", reason)
        }
        if let reason = grantFailure(issued, clientID: clientID, redirectURI: redirectURI, verifier: verifier, jkt: jkt, now: now) {
            return refuse(400, "invalid_grant", reason)
        }
        let accessToken = "acc-" + Base64URL.encode(environment.randomBytes(32))
        let refreshToken = "ref-" + Base64URL.encode(environment.randomBytes(32))
        let faults = state.withLock { state in
            state.tokens[accessToken] = MockToken(did: issued.did, dpopJKT: jkt, scope: issued.scope,
                                                  expiresAt: now + Self.accessTokenLifetime)
            state.codes[code]?.accessTokens.append(accessToken)
            return state.faults
        }
        return MockResponse.json(200, [
            "access_token": .string(accessToken),
            "token_type": .string(faults.tokenType ?? "DPoP"),
            "expires_in": .int(Self.accessTokenLifetime),
            "refresh_token": .string(refreshToken),
            "scope": .string(faults.tokenScope ?? issued.scope),
            "sub": .string(faults.tokenSubject ?? issued.did),
        ], headers: nonce)
    }

    private func grantFailure(_ issued: MockCode, clientID: String, redirectURI: String, verifier: String, jkt: String,
                              now: Int64) -> String? {
        guard issued.expiresAt >= now else { return "the code expired" }
        guard issued.clientID == clientID else { return "the code was issued to another client" }
        guard issued.redirectURI == redirectURI else { return "redirect_uri differs from the authorization request" }
        // RFC 9449 §10: the token request uses the key the PAR was made with.
        guard issued.dpopJKT == jkt else { return "the DPoP key differs from the pushed request's" }
        // RFC 7636 §4.6.
        guard verifier.utf8.count >= 43, verifier.utf8.count <= 128,
              ConstantTime.equals(PKCE.challenge(for: verifier), issued.codeChallenge)
        else { return "the code_verifier does not match the code_challenge" }
        return nil
    }

    /// `com.atproto.server.getSession` on the PDS: `Authorization: DPoP <token>` with a proof by the token's key,
    /// `ath` and the nonce (RFC 9449 §7). Reveals the email only under `transition:email`.
    func session(_ request: MockRequest) -> ATProtoHTTPResponse {
        guard let authorization = request.header("Authorization"), authorization.hasPrefix("DPoP ") else {
            return resourceRefusal("invalid_token", "a DPoP-bound access token is required")
        }
        let accessToken = String(authorization.dropFirst("DPoP ".count))
        let now = environment.now()
        guard let token = state.withLock({ $0.tokens[accessToken] }), token.expiresAt >= now else {
            return resourceRefusal("invalid_token", "the access token is unknown or expired")
        }
        let dpop = verifyDPoP(request, htu: url("/xrpc/com.atproto.server.getSession"), accessToken: accessToken)
        switch dpop {
        case .useNonce: return resourceRefusal("use_dpop_nonce", "Resource server requires nonce in DPoP proof")
        case let .invalid(reason): return resourceRefusal("invalid_dpop_proof", reason)
        case let .valid(jkt) where jkt != token.dpopJKT: return resourceRefusal("invalid_token", "the proof key is not the token's")
        case .valid: break
        }
        guard let account = state.withLock({ $0.account(did: token.did) }) else {
            return resourceRefusal("invalid_token", "no such account")
        }
        var members: [(String, JSONValue)] = [("did", .string(account.did)), ("handle", .string(account.handle))]
        if token.scope.split(separator: " ").contains("transition:email"), let email = account.email {
            members += [("email", .string(email)), ("emailConfirmed", .bool(account.emailConfirmed))]
        }
        return MockResponse.json(200, .object(members), headers: [("DPoP-Nonce", currentNonce())])
    }
}

/// Why a code is refused before its details are checked.
enum MockGrantFailure: Error {
    case refused(String)
}
