import FluxerCrypto
import FluxerJSON

/// The client's long-lived ES256 signing key and the `kid` it is published under in the JWKS.
public struct ATProtoClientKey: Sendable {
    /// The key id (RFC 7517 §4.5), also the assertion header's `kid`.
    public let id: String
    /// The private key.
    public let key: P256SoftKey

    /// A key and its id.
    public init(id: String, key: P256SoftKey) {
        self.id = id
        self.key = key
    }
}

/// `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): a JWT signed with the client's
/// key, with `iss` = `sub` = `client_id`, `aud` = the authorization server's issuer (atproto OAuth, "Confidential
/// Client Authentication"), a unique `jti`, `iat`, and a short `exp`.
enum ClientAssertion {
    /// The `client_assertion_type` value (RFC 7523 §2.2).
    static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// How long an assertion is valid, in seconds: long enough for one request, short enough to be useless later.
    static let lifetimeSeconds: Int64 = 60

    static func make(clientID: String, audience: String, key: ATProtoClientKey, issuedAt: Int64, jti: String) -> String {
        let header: JSONValue = ["alg": "ES256", "typ": "JWT", "kid": .string(key.id)]
        let claims: JSONValue = [
            "iss": .string(clientID), "sub": .string(clientID), "aud": .string(audience), "jti": .string(jti),
            "iat": .int(issuedAt), "exp": .int(issuedAt + lifetimeSeconds),
        ]
        return ES256JWS.sign(header: header, payload: claims, key: key.key)
    }

    /// The two form fields that carry an assertion.
    static func formFields(clientID: String, audience: String, key: ATProtoClientKey, environment: ATProtoEnvironment) -> [(String, String)] {
        let assertion = make(clientID: clientID, audience: audience, key: key, issuedAt: environment.now(),
                             jti: environment.randomToken(bytes: 16))
        return [("client_assertion_type", type), ("client_assertion", assertion)]
    }
}
