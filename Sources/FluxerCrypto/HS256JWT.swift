/// Compact JWS (RFC 7515 §7.1) JSON Web Tokens (RFC 7519) signed with HMAC-SHA-256 (RFC 7518 §3.2),
/// with one fixed header. Claims are the caller's: this type signs and verifies payload bytes only.
public enum HS256JWT {
    /// The longest token `verify` accepts, in bytes; longer input is refused unread.
    public static let maxTokenBytes = 4096

    /// The minimum key length in bytes: RFC 7518 §3.2 requires a key at least as long as the hash output.
    public static let minKeyBytes = 32

    /// The JOSE header every token carries, byte for byte.
    public static let header = Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)

    private static let encodedHeader = Base64URL.encode(header)

    /// Returns `<header>.<payload>.<signature>`, each part unpadded Base64URL (RFC 7515 §2), the
    /// signature being HMAC-SHA-256(key, ASCII(header "." payload)) (RFC 7515 §5.1).
    /// `key` must be at least `minKeyBytes` long.
    public static func sign(payload: [UInt8], key: [UInt8]) -> String {
        precondition(key.count >= minKeyBytes, "HS256 key shorter than 256 bits (RFC 7518 §3.2)")
        let signingInput = encodedHeader + "." + Base64URL.encode(payload)
        let signature = HMAC.sha256(key: key, message: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// Returns the payload bytes when `token` is a compact JWS made by `sign` with `key`, else nil.
    ///
    /// Strict, in this order: at most `maxTokenBytes`; exactly three '.'-separated parts, each
    /// canonical unpadded Base64URL; the header decodes to exactly `header` (so `"alg":"none"`, other
    /// algorithms and extra header parameters are refused, RFC 8725 §3.1); the signature equals
    /// HMAC-SHA-256 of the received `<header>.<payload>` text, compared in constant time.
    /// `key` must be at least `minKeyBytes` long.
    public static func verify(_ token: String, key: [UInt8]) -> [UInt8]? {
        precondition(key.count >= minKeyBytes, "HS256 key shorter than 256 bits (RFC 7518 §3.2)")
        let bytes = Array(token.utf8)
        guard bytes.count <= maxTokenBytes else { return nil }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = decode(parts[0]), headerBytes == header,
              let payload = decode(parts[1]),
              let signature = decode(parts[2])
        else { return nil }
        let signingInput = Array(bytes[..<parts[1].endIndex])
        let expected = HMAC.sha256(key: key, message: signingInput)
        return ConstantTime.equals(signature, expected) ? payload : nil
    }

    private static func decode(_ part: ArraySlice<UInt8>) -> [UInt8]? {
        Base64URL.decode(String(decoding: part, as: UTF8.self))
    }
}
