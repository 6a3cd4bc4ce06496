/// DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for the key types `COSEKey` supports, so that
/// OpenSSL can load a key with `d2i_PUBKEY` and run its own checks (point on curve, RSA sanity).
enum SubjectPublicKeyInfo {
    /// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) } up to the point
    /// (RFC 5480 §2); followed by the 65-byte uncompressed point 04 ‖ x ‖ y.
    static let p256Prefix = Hex.decode("3059301306072a8648ce3d020106082a8648ce3d030107034200")!
    /// SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING } (RFC 8410 §4); followed by the 32-byte key.
    static let ed25519Prefix = Hex.decode("302a300506032b6570032100")!
    /// AlgorithmIdentifier { rsaEncryption, NULL } (RFC 8017 App. A.1).
    static let rsaAlgorithm = Hex.decode("300d06092a864886f70d0101010500")!

    /// The DER encoding of `key`.
    static func der(_ key: COSEKey) -> [UInt8] {
        switch key {
        case let .ec2P256(x, y):
            return p256Prefix + [0x04] + x + y
        case let .ed25519(x):
            return ed25519Prefix + x
        case let .rsa(n, e):
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 App. A.1.1)
            let rsaPublicKey = tlv(0x30, integer(n) + integer(e))
            return tlv(0x30, rsaAlgorithm + tlv(0x03, [0x00] + rsaPublicKey))
        }
    }

    /// A positive INTEGER from big-endian magnitude bytes (X.690 §8.3).
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var content = Array(magnitude.drop { $0 == 0 })
        if content.isEmpty || content[0] & 0x80 != 0 { content.insert(0, at: 0) }
        return tlv(0x02, content)
    }

    /// Tag, definite length (X.690 §8.1.3) and content.
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var remaining = content.count
            while remaining > 0 {
                length.insert(UInt8(truncatingIfNeeded: remaining), at: 0)
                remaining >>= 8
            }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }
}
