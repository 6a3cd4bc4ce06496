import FluxerCrypto

extension ATProtoOAuthClient {
    /// The longest authorization code accepted from a callback.
    public static let maxCodeBytes = 2048

    /// The token response (RFC 6749 §5.1, RFC 9449 §5, atproto OAuth "Tokens and Session Lifetime": `sub` required).
    private struct TokenResponse: Decodable {
        var access_token: String
        var token_type: String
        var sub: String?
        var scope: String?
        var refresh_token: String?
        var expires_in: Int64?
    }

    /// Finishes a sign-in, in order: the pending state is fresh; `iss` is the issuer the request went to (RFC 9207
    /// §2.4, checked before anything else in the response); `state` matches; the server sent a code; the code is
    /// redeemed with PKCE, a client assertion and a DPoP proof; the token is DPoP-bound, names a DID and grants
    /// `atproto`; that DID is the one the handle resolved to; and its PDS names this issuer (atproto OAuth,
    /// "Identity Authentication"). Only then is the sign-in returned.
    public func complete(_ callback: ATProtoCallback, pending: ATProtoPending) throws(ATProtoError) -> ATProtoSignIn {
        guard environment.now() - pending.createdAt <= ATProtoPending.lifetimeSeconds else { throw .pendingExpired }
        guard let iss = callback.iss, iss == pending.issuer else { throw .issuerMismatch }
        guard let state = callback.state, ConstantTime.equals(state, pending.state) else { throw .stateMismatch }
        guard callback.error == nil, let code = callback.code, !code.isEmpty, code.utf8.count <= Self.maxCodeBytes
        else { throw .authorizationDenied }
        guard let dpopKey = P256SoftKey(privateKeyDER: pending.dpopKeyDER), let tokenEndpoint = ATProtoURL(pending.tokenEndpoint)
        else { throw .invalidPending }

        let fields: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", pending.redirectURI),
            ("code_verifier", pending.codeVerifier), ("client_id", configuration.clientID),
        ]
        var nonce = pending.dpopNonce
        let exchange = DPoPExchange(fetcher: fetcher, environment: environment, key: dpopKey)
        let response = try exchange.send(
            method: "POST", url: tokenEndpoint,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: { Array(FormEncoding.encode(fields + self.assertionFields(audience: pending.issuer)).utf8) },
            nonce: &nonce, step: .token)
        switch response.status {
        case 200: break
        case 400, 401:
            let code = ATProtoJSON.oauthErrorCode(response.body)
            if code == "invalid_grant" { throw .grantRefused }
            throw .oauthError(.token, code: ATProtoJSON.sanitizedCode(code))
        default:
            throw .badStatus(.token, response.status)
        }
        let token = try ATProtoJSON.decode(TokenResponse.self, from: response.body, step: .token)

        // RFC 9449 §5: a DPoP-bound token says so (token types compare case-insensitively, RFC 6749 §5.1).
        guard token.token_type.lowercased() == "dpop" else { throw .tokenTypeNotDPoP }
        guard let sub = token.sub, let did = ATProtoDID(sub) else { throw .subjectNotDID }
        let scope = token.scope ?? ""
        guard Self.grants(scope, "atproto") else { throw .scopeLacksATProto }
        if let expected = pending.expectedDID, expected != did.string { throw .subjectMismatch }
        let identity = try verifiedIdentity(of: did, issuer: pending.issuer)
        return ATProtoSignIn(did: did, handle: identity.handle, pds: identity.pds.base, issuer: pending.issuer, scope: scope,
                             accessToken: token.access_token, refreshToken: token.refresh_token, expiresIn: token.expires_in,
                             dpopKey: dpopKey)
    }

    /// `sub` → DID document → PDS → its authorization server, which must be `issuer`: an authorization server may
    /// only vouch for accounts whose PDS delegates to it.
    private func verifiedIdentity(of did: ATProtoDID, issuer: String) throws(ATProtoError) -> ATProtoIdentity {
        let identity: ATProtoIdentity
        do {
            identity = try identities.resolve(did: did)
        } catch where error.kind == .badInput {
            throw .subjectNotResolvable
        }
        let named: ATProtoURL
        do {
            named = try discovery.issuer(forResource: identity.pds)
        } catch .invalidMetadata {
            throw .subjectIssuerMismatch
        }
        guard named == resolved.policy.server(issuer) else { throw .subjectIssuerMismatch }
        return identity
    }
}
