/// Random strings over the 62 ASCII alphanumerics `[0-9A-Za-z]`, e.g. session tokens `flx_` + 36 chars.
public enum Base62 {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Returns `randomCount` characters, each drawn uniformly and independently from `[0-9A-Za-z]`
    /// (log2(62) ≈ 5.95 bits of entropy per character). `randomCount` must not be negative.
    public static func encode(randomCount: Int) -> String {
        precondition(randomCount >= 0, "negative character count")
        var out: [UInt8] = []
        out.reserveCapacity(randomCount)
        for _ in 0..<randomCount {
            out.append(alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `s` is non-empty and consists only of `[0-9A-Za-z]`.
    public static func isValid(_ s: Substring) -> Bool {
        // One pass over contiguous bytes (a token check runs this for every request); a bridged or foreign
        // string falls back to iterating.
        if let valid = s.utf8.withContiguousStorageIfAvailable({ isValid($0) }) { return valid }
        return !s.utf8.isEmpty && s.utf8.allSatisfy(isAlphanumeric)
    }

    /// True when `bytes` is non-empty and consists only of `[0-9A-Za-z]`.
    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        for byte in bytes where !isAlphanumeric(byte) { return false }
        return true
    }

    /// True when `s` is non-empty and consists only of `[0-9A-Za-z]`.
    public static func isValid(_ s: String) -> Bool {
        isValid(s[...])
    }

    @inline(__always) private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return (byte &- 0x30) < 10 || (lower &- 0x61) < 26
    }
}
