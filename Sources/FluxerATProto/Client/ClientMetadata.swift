import FluxerCrypto
import FluxerJSON

/// The documents a confidential atproto client publishes (atproto OAuth, "Client ID Metadata Document"): its
/// metadata at the URL that is its `client_id`, and the JWKS at `jwks_uri` (RFC 7517 §5).
public enum ATProtoClientDocuments {
    /// The client metadata document (RFC 7591 §2 fields, plus RFC 9449 §5.2 `dpop_bound_access_tokens`).
    public static func metadata(clientID: String, clientName: String, redirectURIs: [String], scope: String,
                                jwksURI: String, clientURI: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("client_id", .string(clientID)),
            ("client_name", .string(clientName)),
        ]
        if let clientURI { members.append(("client_uri", .string(clientURI))) }
        members += [
            ("application_type", "web"),
            ("grant_types", ["authorization_code", "refresh_token"]),
            ("response_types", ["code"]),
            ("redirect_uris", .array(redirectURIs.map { .string($0) })),
            ("scope", .string(scope)),
            ("dpop_bound_access_tokens", true),
            ("token_endpoint_auth_method", "private_key_jwt"),
            ("token_endpoint_auth_signing_alg", "ES256"),
            ("jwks_uri", .string(jwksURI)),
        ]
        return .object(members)
    }

    /// `{"keys": [...]}` with each public key as an ES256 signing JWK carrying its `kid` (the current key, then
    /// retired keys still published until no assertion signed by them can be in flight).
    public static func jwks(_ keys: [(id: String, publicKey: COSEKey)]) -> JSONValue {
        .object([("keys", .array(keys.map { entry in
            guard case let .object(members) = ATProtoJWK.publicJWK(entry.publicKey) else { return .null }
            return .object(members + [("kid", .string(entry.id)), ("use", "sig"), ("alg", "ES256")])
        }))])
    }
}
