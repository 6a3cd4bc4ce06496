import FluxerCrypto
import FluxerJSON

/// Client metadata documents and JWKS as the mock authorization server reads them (atproto OAuth, "Client ID
/// Metadata Document": confidential web clients with `private_key_jwt`, DPoP-bound tokens, ES256 keys with `kid`).
enum MockClientRegistry {
    struct Metadata: Decodable {
        var client_id: String
        var redirect_uris: [String]
        var scope: String
        var dpop_bound_access_tokens: Bool?
        var token_endpoint_auth_method: String?
        var token_endpoint_auth_signing_alg: String?
        var grant_types: [String]?
        var response_types: [String]?
        var jwks_uri: String?
        var jwks: KeySet?
    }

    struct Key: Decodable {
        var kty: String?
        var crv: String?
        var x: String?
        var y: String?
        var d: String?
        var kid: String?
    }

    struct KeySet: Decodable { var keys: [Key] }

    /// A client from its documents; nil when they break the rules. `clientID` is the URL the metadata was fetched
    /// from, which the document's `client_id` must equal; `jwks` is the fetched JWKS when the document has none.
    static func client(metadata: [UInt8], clientID: String?, jwks: [UInt8]?) -> MockClient? {
        guard let document = MockJWT.decode(Metadata.self, metadata),
              clientID == nil || document.client_id == clientID,
              ATProtoURL(document.client_id) != nil,
              document.dpop_bound_access_tokens == true,
              document.token_endpoint_auth_method == "private_key_jwt",
              document.token_endpoint_auth_signing_alg == "ES256",
              document.grant_types?.contains("authorization_code") == true,
              document.response_types?.contains("code") == true,
              !document.redirect_uris.isEmpty
        else { return nil }
        let scopes = Set(document.scope.split(separator: " ").map(String.init))
        guard scopes.contains("atproto"), let set = document.jwks ?? jwks.flatMap({ MockJWT.decode(KeySet.self, $0) }) else { return nil }
        var keys: [String: COSEKey] = [:]
        for key in set.keys {
            guard let kid = key.kid, let cose = ATProtoJWK.p256Key(x: key.x, y: key.y, kty: key.kty, crv: key.crv, d: key.d) else { continue }
            keys[kid] = cose
        }
        guard !keys.isEmpty else { return nil }
        return MockClient(clientID: document.client_id, redirectURIs: document.redirect_uris, scopes: scopes, keys: keys)
    }
}

extension ATProtoMockServer {
    /// A registered client, or one fetched now through `clientTransport` (its metadata from `client_id`, then its
    /// JWKS from `jwks_uri`) and remembered.
    func client(_ clientID: String) -> MockClient? {
        if let known = state.withLock({ $0.clients[clientID] }) { return known }
        guard let clientTransport, let metadata = fetch(clientID, clientTransport) else { return nil }
        var jwks: [UInt8]?
        if let document = MockJWT.decode(MockClientRegistry.Metadata.self, metadata), document.jwks == nil, let uri = document.jwks_uri {
            jwks = fetch(uri, clientTransport)
        }
        guard let client = MockClientRegistry.client(metadata: metadata, clientID: clientID, jwks: jwks) else { return nil }
        state.withLock { $0.clients[clientID] = client }
        return client
    }

    private func fetch(_ url: String, _ transport: any ATProtoTransport) -> [UInt8]? {
        guard let response = try? transport.send(ATProtoHTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")])),
              response.status == 200, response.body.count <= ATProtoJSON.maxDocumentBytes
        else { return nil }
        return response.body
    }

    /// `private_key_jwt` (RFC 7523 §3): the assertion type; an ES256 JWS by one of the client's keys (by `kid`);
    /// `iss` = `sub` = `client_id`; `aud` naming this issuer; `exp` in the future, not too far; `iat` not in the
    /// future; a `jti` never seen. Nil when valid, else the reason.
    func clientAuthenticationFailure(_ form: [String: String], client: MockClient) -> String? {
        struct Header: Decodable {
            var alg: String?
            var kid: String?
        }
        struct Claims: Decodable {
            var iss: String
            var sub: String
            var aud: Audience
            var exp: Int64
            var iat: Int64?
            var jti: String
        }
        guard form["client_assertion_type"] == ClientAssertion.type, let assertion = form["client_assertion"] else {
            return "a private_key_jwt client assertion is required"
        }
        guard let jws = JOSE.CompactJWS(assertion, maxBytes: 8 * 1024), let header = MockJWT.decode(Header.self, jws.header),
              header.alg == "ES256", let kid = header.kid, let key = client.keys[kid]
        else { return "the client assertion names no key of this client" }
        guard JOSE.verify(jws, alg: "ES256", key: key) else { return "the client assertion signature does not verify" }
        guard let claims = MockJWT.decode(Claims.self, jws.payload) else { return "the client assertion claims are malformed" }
        guard claims.iss == client.clientID, claims.sub == client.clientID else { return "iss and sub must be the client_id" }
        guard claims.aud.values.contains(issuer) else { return "aud must name this authorization server" }
        let now = environment.now()
        guard claims.exp > now, claims.exp - now <= 10 * Self.clockSkew else { return "exp is outside the accepted window" }
        if let iat = claims.iat, iat > now + Self.clockSkew { return "iat is in the future" }
        guard !claims.jti.isEmpty, state.withLock({ $0.remember(jti: "assertion:" + claims.jti, until: claims.exp, now: now) })
        else { return "the client assertion was already used" }
        return nil
    }
}

/// A JWT `aud`: one string or an array of strings (RFC 7519 §4.1.3).
struct Audience: Decodable {
    let values: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) { values = [one] } else { values = try container.decode([String].self) }
    }
}
