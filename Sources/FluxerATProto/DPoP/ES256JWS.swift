import FluxerCrypto
import FluxerJSON

/// Compact JWS (RFC 7515 §7.1) signed with ES256 (RFC 7518 §3.4: ECDSA P-256 SHA-256, signature R ‖ S).
enum ES256JWS {
    /// `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(R ‖ S)`.
    static func sign(header: JSONValue, payload: JSONValue, key: P256SoftKey) -> String {
        let signingInput = Base64URL.encode(header.bytes) + "." + Base64URL.encode(payload.bytes)
        guard let raw = JOSE.ecdsaRaw(fromDER: key.sign(Array(signingInput.utf8))) else {
            fatalError("OpenSSL returned a malformed ECDSA signature")
        }
        return signingInput + "." + Base64URL.encode(raw)
    }
}

/// JSON Web Keys (RFC 7517) for P-256 public keys.
public enum ATProtoJWK {
    /// The public JWK members of an EC P-256 key (RFC 7518 §6.2.1), in RFC 7638 §3.2 lexicographic order.
    public static func publicJWK(_ key: COSEKey) -> JSONValue {
        guard case let .ec2P256(x, y) = key else { preconditionFailure("only P-256 keys sign atproto requests") }
        return ["crv": "P-256", "kty": "EC", "x": .string(Base64URL.encode(x)), "y": .string(Base64URL.encode(y))]
    }

    /// The RFC 7638 JWK SHA-256 thumbprint, base64url: the DPoP key binding `jkt` (RFC 9449 §6.1).
    public static func thumbprint(_ key: COSEKey) -> String {
        Base64URL.encode(SHA256.hash(publicJWK(key).bytes))
    }

    /// The key from a JWK object: `kty` EC, `crv` P-256, 32-byte `x` and `y`, no private `d`; nil otherwise.
    static func p256Key(x: String?, y: String?, kty: String?, crv: String?, d: String?) -> COSEKey? {
        guard kty == "EC", crv == "P-256", d == nil, let x = x.flatMap(Base64URL.decode), let y = y.flatMap(Base64URL.decode),
              x.count == 32, y.count == 32
        else { return nil }
        let key = COSEKey.ec2P256(x: x, y: y)
        return key.isLoadable ? key : nil
    }
}
