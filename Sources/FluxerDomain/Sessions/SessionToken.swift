import FluxerCrypto

/// User session tokens: `flx_` + 36 base62 characters from secure random (≈ 214 bits). Only SHA-256 of the
/// token is stored; the API's `id_hash` is that digest in unpadded base64url (43 characters).
public enum SessionToken {
    /// The prefix of every session token.
    public static let prefix = "flx_"
    private static let prefixBytes = Array(prefix.utf8)
    /// Characters after the prefix.
    public static let randomLength = 36

    /// A new random token.
    public static func generate() -> String {
        prefix + Base62.encode(randomCount: randomLength)
    }

    /// Whether `token` has the session token shape (checked before any hashing or lookup).
    public static func isWellFormed(_ token: Substring) -> Bool {
        // One pass over the bytes, in place (`withUTF8`, not the generic contiguous-storage path, which costs more
        // than the check itself): this runs for every request that carries a session token.
        var token = token
        return token.withUTF8 { bytes -> Bool in
            let head = prefixBytes
            guard bytes.count == head.count + randomLength else { return false }
            for i in 0..<head.count where bytes[i] != head[i] { return false }
            return Base62.isValid(UnsafeBufferPointer(rebasing: bytes[head.count...]))
        }
    }

    /// SHA-256 of the token's bytes: the primary key of the `sessions` table.
    public static func hash(_ token: some StringProtocol) -> [UInt8] {
        SHA256.hash(utf8: token)
    }

    /// `hash` for the substring of an Authorization field, hashed in place.
    public static func hash(_ token: Substring) -> [UInt8] {
        SHA256.hash(utf8: token)
    }

    /// The `id_hash` the API shows for a stored hash.
    public static func idHash(_ hash: [UInt8]) -> String { Base64URL.encode(hash) }
}

/// Single-use random tokens mailed to users (email verification, password reset): 64 base62 characters, as the
/// real server's, stored as SHA-256.
public enum EmailToken {
    /// Length of a mailed token.
    public static let length = 64

    /// A new token.
    public static func generate() -> String { Base62.encode(randomCount: length) }

    /// Whether `token` could be one of ours (length and alphabet), checked before hashing.
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == length && Base62.isValid(token)
    }
}
