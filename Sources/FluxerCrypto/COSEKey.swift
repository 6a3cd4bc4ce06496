/// Why a COSE_Key is refused.
public enum COSEKeyError: Error, Equatable, Sendable {
    /// The item is not a CBOR map.
    case notAMap
    /// `kty` (label 1) is missing or not OKP (1), EC2 (2) or RSA (3).
    case unsupportedKeyType
    /// `alg` (label 3) is missing, not one of -7, -8, -257, or does not belong to the key type.
    case unsupportedAlgorithm
    /// `crv` (label -1) is missing or not the curve the algorithm requires.
    case unsupportedCurve
    /// A coordinate or key component is missing, not a byte string, or of the wrong length.
    case invalidKeyMaterial
    /// An RSA modulus shorter than `COSEKey.minimumRSABits` or longer than `COSEKey.maximumRSABits`.
    case unsupportedRSAModulusSize
}

/// A credential public key in COSE_Key form (RFC 9052 §7, RFC 9053 §2, §7; WebAuthn §5.8.5).
///
/// Only the three algorithms FluxerAuth offers in `pubKeyCredParams` are representable, so a parsed
/// key is already on the allowlist (WA-07). The point/size checks here are syntactic; OpenSSL
/// rejects points that are not on the curve when the key is loaded for verification.
public enum COSEKey: Sendable, Equatable {
    /// EC2 key on P-256, `alg` -7 (ES256): 32-byte big-endian affine coordinates.
    case ec2P256(x: [UInt8], y: [UInt8])
    /// OKP key on Ed25519, `alg` -8 (EdDSA): the 32-byte public key.
    case ed25519(x: [UInt8])
    /// RSA key, `alg` -257 (RS256, RSASSA-PKCS1-v1_5 with SHA-256): big-endian modulus and exponent.
    case rsa(n: [UInt8], e: [UInt8])

    /// COSE algorithm identifier for ES256 (RFC 9053 §2.1).
    public static let es256 = -7
    /// COSE algorithm identifier for EdDSA (RFC 9053 §2.2).
    public static let edDSA = -8
    /// COSE algorithm identifier for RS256 (RFC 8812 §2).
    public static let rs256 = -257
    /// The smallest accepted RSA modulus (NIST SP 800-131A: 2048 bits).
    public static let minimumRSABits = 2048
    /// The largest accepted RSA modulus, bounding verification cost.
    public static let maximumRSABits = 8192

    /// The COSE `alg` value this key is used with.
    public var algorithm: Int {
        switch self {
        case .ec2P256: Self.es256
        case .ed25519: Self.edDSA
        case .rsa: Self.rs256
        }
    }

    /// Parses and validates a COSE_Key map. Unknown labels (e.g. `kid`, `key_ops`) are ignored.
    public static func parse(_ cose: CBORValue) throws(COSEKeyError) -> COSEKey {
        guard cose.map != nil else { throw .notAMap }
        guard let keyType = cose[1]?.int else { throw .unsupportedKeyType }
        let algorithm = cose[3]?.int
        switch keyType {
        case 2: // EC2 (RFC 9053 §7.1.1)
            guard algorithm == es256 else { throw .unsupportedAlgorithm }
            guard cose[-1]?.int == 1 else { throw .unsupportedCurve }
            // A boolean y (point compression) is not allowed by WebAuthn §5.8.5 for EC2.
            guard let x = cose[-2]?.bytes, let y = cose[-3]?.bytes, x.count == 32, y.count == 32 else {
                throw .invalidKeyMaterial
            }
            return .ec2P256(x: x, y: y)
        case 1: // OKP (RFC 9053 §7.2)
            guard algorithm == edDSA else { throw .unsupportedAlgorithm }
            guard cose[-1]?.int == 6 else { throw .unsupportedCurve }
            guard let x = cose[-2]?.bytes, x.count == 32 else { throw .invalidKeyMaterial }
            return .ed25519(x: x)
        case 3: // RSA (RFC 8230 §4)
            guard algorithm == rs256 else { throw .unsupportedAlgorithm }
            guard let n = cose[-1]?.bytes, let e = cose[-2]?.bytes else { throw .invalidKeyMaterial }
            let modulus = Array(n.drop { $0 == 0 })
            let bits = modulus.isEmpty ? 0 : modulus.count * 8 - modulus[0].leadingZeroBitCount
            guard bits >= minimumRSABits, bits <= maximumRSABits else { throw .unsupportedRSAModulusSize }
            // Public exponents are odd and small in practice; 8 bytes bounds the parser, OpenSSL the rest.
            let exponent = Array(e.drop { $0 == 0 })
            guard !exponent.isEmpty, exponent.count <= 8, exponent.last! & 1 == 1 else { throw .invalidKeyMaterial }
            return .rsa(n: modulus, e: exponent)
        default:
            throw .unsupportedKeyType
        }
    }

    /// The key as a COSE_Key map, labels in the canonical order (RFC 8949 §4.2.1) authenticators emit.
    public var cbor: CBORValue {
        switch self {
        case let .ec2P256(x, y):
            .map([(.int(1), .int(2)), (.int(3), .int(Self.es256)), (.int(-1), .int(1)), (.int(-2), .bytes(x)), (.int(-3), .bytes(y))])
        case let .ed25519(x):
            .map([(.int(1), .int(1)), (.int(3), .int(Self.edDSA)), (.int(-1), .int(6)), (.int(-2), .bytes(x))])
        case let .rsa(n, e):
            .map([(.int(1), .int(3)), (.int(3), .int(Self.rs256)), (.int(-1), .bytes(n)), (.int(-2), .bytes(e))])
        }
    }
}
