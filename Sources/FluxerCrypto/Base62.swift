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
        !s.utf8.isEmpty && s.utf8.allSatisfy(isAlphanumeric)
    }

    /// True when `s` is non-empty and consists only of `[0-9A-Za-z]`.
    public static func isValid(_ s: String) -> Bool {
        isValid(s[...])
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return false
        }
    }
}
