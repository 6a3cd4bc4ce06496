import FluxerCrypto
import FluxerJSON

/// A DPoP proof JWT (RFC 9449 §4.2): header `typ: dpop+jwt`, `alg: ES256` and the public `jwk`; claims `jti`,
/// `htm`, `htu` (the target URI without query and fragment), `iat`, the server's `nonce` when one is known
/// (§8) and, with an access token, `ath` = base64url(SHA-256(token)) (§4.3).
enum DPoPProof {
    /// The JOSE `typ` of a DPoP proof (RFC 9449 §4.2).
    static let type = "dpop+jwt"

    static func make(key: P256SoftKey, method: String, url: ATProtoURL, nonce: String?, accessToken: String?,
                     issuedAt: Int64, jti: String) -> String {
        let header: JSONValue = ["typ": .string(type), "alg": "ES256", "jwk": ATProtoJWK.publicJWK(key.coseKey)]
        var claims: [(String, JSONValue)] = [
            ("jti", .string(jti)), ("htm", .string(method)), ("htu", .string(url.withoutQuery)), ("iat", .int(issuedAt)),
        ]
        if let nonce { claims.append(("nonce", .string(nonce))) }
        if let accessToken { claims.append(("ath", .string(accessTokenHash(accessToken)))) }
        return ES256JWS.sign(header: header, payload: .object(claims), key: key)
    }

    /// `ath`: base64url of the SHA-256 of the access token's ASCII (RFC 9449 §4.2).
    static func accessTokenHash(_ token: String) -> String {
        Base64URL.encode(SHA256.hash(token))
    }
}
