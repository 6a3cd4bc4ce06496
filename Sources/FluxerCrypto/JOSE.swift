/// The pieces of JOSE (RFC 7515 JWS, RFC 7517 JWK, RFC 7518 JWA) an OpenID Connect relying party needs to check
/// an ID token: compact JWS splitting, the ES256 signature format, and verification with an allowlisted
/// algorithm only (never `none`, never a MAC keyed by a public key: RFC 8725 §3.1, §3.2).
public enum JOSE {
    /// A compact JWS split into its parts, still unverified.
    public struct CompactJWS: Sendable {
        /// The decoded protected header (JSON bytes).
        public let header: [UInt8]
        /// The decoded payload.
        public let payload: [UInt8]
        /// The decoded signature.
        public let signature: [UInt8]
        /// `BASE64URL(header) "." BASE64URL(payload)`: the bytes the signature covers.
        public let signingInput: [UInt8]

        /// Splits `token`; nil unless it is exactly three strict base64url parts (RFC 7515 §7.1).
        public init?(_ token: String, maxBytes: Int = 16 * 1024) {
            guard token.utf8.count <= maxBytes else { return nil }
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty,
                  let header = Base64URL.decode(String(parts[0])), let payload = Base64URL.decode(String(parts[1])),
                  let signature = Base64URL.decode(String(parts[2]))
            else { return nil }
            self.header = header
            self.payload = payload
            self.signature = signature
            signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        }
    }

    /// The JWS `alg` a key verifies (RFC 7518 §3.1): ES256, EdDSA (RFC 8037) or RS256.
    public static func algorithm(of key: COSEKey) -> String {
        switch key {
        case .ec2P256: "ES256"
        case .ed25519: "EdDSA"
        case .rsa: "RS256"
        }
    }

    /// Whether `signature` over `signingInput` verifies under `key` for the header's `alg`, which must be the
    /// key's own algorithm (so an RS256 key never checks an HS256 token, and `none` never verifies).
    public static func verify(_ jws: CompactJWS, alg: String, key: COSEKey) -> Bool {
        guard alg == algorithm(of: key) else { return false }
        switch key {
        case .ec2P256:
            // RFC 7518 §3.4: ES256 signatures are R ‖ S, 32 bytes each; OpenSSL wants DER.
            guard let der = ecdsaDER(fromRaw: jws.signature) else { return false }
            return key.verify(signature: der, message: jws.signingInput)
        case .ed25519, .rsa:
            return key.verify(signature: jws.signature, message: jws.signingInput)
        }
    }

    /// RFC 7518 §3.4 R ‖ S (64 bytes for P-256) as an ASN.1 DER `Ecdsa-Sig-Value`; nil for any other length.
    public static func ecdsaDER(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 64 else { return nil }
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var v = Array(bytes.drop { $0 == 0 })
            if v.isEmpty { v = [0] }
            if v[0] & 0x80 != 0 { v.insert(0, at: 0) }
            return [0x02, UInt8(v.count)] + v
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }

    /// An ASN.1 DER `Ecdsa-Sig-Value` for P-256 as R ‖ S (64 bytes); nil if it is not one.
    public static func ecdsaRaw(fromDER der: [UInt8]) -> [UInt8]? {
        guard der.count >= 8, der[0] == 0x30, Int(der[1]) == der.count - 2 else { return nil }
        var i = 2
        var out: [UInt8] = []
        for _ in 0..<2 {
            guard i + 2 <= der.count, der[i] == 0x02 else { return nil }
            let length = Int(der[i + 1])
            guard length >= 1, length <= 33, i + 2 + length <= der.count else { return nil }
            var value = Array(der[(i + 2)..<(i + 2 + length)])
            if value.count == 33 { guard value[0] == 0 else { return nil }; value.removeFirst() }
            out += [UInt8](repeating: 0, count: 32 - value.count) + value
            i += 2 + length
        }
        return i == der.count ? out : nil
    }
}
