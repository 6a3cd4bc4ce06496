/// Standard Base64 (RFC 4648 §4), for HTTP Basic credentials (RFC 7617) and PHC strings.
public enum Base64 {
    /// Encodes `bytes` with the standard alphabet; `padded` appends '=' to a multiple of 4 (RFC 4648 §3.2).
    public static func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        Base64Codec.standard.encode(bytes, padded: padded)
    }

    /// Strictly decodes standard Base64, or returns nil.
    ///
    /// With `padded` (the default) the input must carry exactly the canonical '=' padding; without it
    /// no '=' may appear. Rejects whitespace, URL-safe characters, non-ASCII, impossible lengths and
    /// nonzero unused trailing bits (RFC 4648 §3.5).
    public static func decode(_ string: String, padded: Bool = true) -> [UInt8]? {
        Base64Codec.standard.decode(string, padded: padded)
    }
}
