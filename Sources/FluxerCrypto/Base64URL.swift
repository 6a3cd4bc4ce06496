/// URL- and filename-safe Base64 (RFC 4648 §5), unpadded as in JWS (RFC 7515 §2) and PKCE (RFC 7636).
public enum Base64URL {
    /// Encodes `bytes` with the URL-safe alphabet and no '=' padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Base64Codec.url.encode(bytes, padded: false)
    }

    /// Strictly decodes unpadded Base64URL, or returns nil.
    ///
    /// Rejects '=', '+', '/', whitespace, any other non-alphabet character, lengths with
    /// `count % 4 == 1`, and nonzero unused bits in the last character (RFC 4648 §3.5).
    public static func decode(_ string: String) -> [UInt8]? {
        Base64Codec.url.decode(string, padded: false)
    }

    /// Strictly decodes unpadded Base64URL bytes into `out` without allocating; the byte count, or nil when
    /// `input` is not strict Base64URL or `out` is too small (it needs `input.count / 4 * 3 + 2` bytes at most).
    public static func decode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        Base64Codec.url.decode(input, into: out)
    }
}
