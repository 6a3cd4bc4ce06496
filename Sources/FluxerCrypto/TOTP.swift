/// Time-based one-time passwords: TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA-1, as used by
/// authenticator apps for MFA.
public enum TOTP {
    /// Length of a generated shared secret in bytes: 160 bits, the HMAC-SHA-1 output size (RFC 4226 §4 R6).
    public static let secretCount = 20

    /// The code lengths this type accepts: at least 6 (RFC 4226 §5.3); at most 8, since the 31-bit
    /// truncated value cannot give 10 uniform digits and RFC 6238 Appendix A stops at 8.
    public static let digitsRange = 6...8

    /// The HOTP value (RFC 4226 §5.3, dynamic truncation) for `counter`, as exactly `digits` ASCII
    /// digits with leading zeros. `digits` must lie in `digitsRange`.
    public static func code(secret: [UInt8], counter: UInt64, digits: Int = 6) -> String {
        precondition(digitsRange.contains(digits), "TOTP digits must be 6...8")
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * index)) }
        let mac = HMAC.sha1(key: secret, message: message)
        // RFC 4226 §5.4: the low nibble of the last byte picks 4 bytes; the top bit is masked off.
        let offset = Int(mac[19] & 0x0F)
        let binary = UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16
            | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])
        var value = binary % powerOfTen(digits)
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: digits)
        for index in stride(from: digits - 1, through: 0, by: -1) {
            out[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The time step counter T = floor((unixSeconds − T0) / step) with T0 = 0 (RFC 6238 §4.2).
    /// `unixSeconds` must not be negative and `step` must be positive.
    public static func counter(at unixSeconds: Int64, step: Int64 = 30) -> UInt64 {
        precondition(unixSeconds >= 0, "TOTP time before the Unix epoch")
        precondition(step > 0, "TOTP step must be positive")
        return UInt64(unixSeconds / step)
    }

    /// Checks `code` against every counter in [T − window, T + window] for the 30-second step
    /// (RFC 6238 §5.2 allows for clock drift) and returns the matching counter, or nil.
    ///
    /// Callers must remember the returned counter and refuse it (and smaller ones) next time, so a
    /// code cannot be replayed (RFC 6238 §5.2). `code` must be exactly `digits` ASCII digits: no
    /// spaces, signs or non-ASCII digits. Every candidate is computed and compared in constant time,
    /// with no early exit. `window` must not be negative; `digits` must lie in `digitsRange`.
    public static func verify(
        _ code: String, secret: [UInt8], at unixSeconds: Int64, window: Int = 1, digits: Int = 6
    ) -> UInt64? {
        precondition(window >= 0, "TOTP window must not be negative")
        precondition(digitsRange.contains(digits), "TOTP digits must be 6...8")
        let submitted = Array(code.utf8)
        guard submitted.count == digits,
              submitted.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }

        let current = counter(at: unixSeconds)
        var matched: UInt64?
        // Nearest step first, so a (1-in-10^digits) collision resolves to the most plausible counter.
        for distance in 0...window {
            for candidate in candidates(around: current, distance: distance) {
                let expected = Array(self.code(secret: secret, counter: candidate, digits: digits).utf8)
                let isMatch = ConstantTime.equals(expected, submitted)
                if isMatch, matched == nil { matched = candidate }
            }
        }
        return matched
    }

    /// A fresh random 160-bit shared secret (RFC 4226 §4 R6 recommends 160 bits).
    public static func generateSecret() -> [UInt8] {
        SecureRandom.bytes(secretCount)
    }

    /// The `otpauth://totp/` URI that authenticator apps import, usually via a QR code (Key Uri Format):
    /// `otpauth://totp/<issuer>:<account>?secret=<Base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30`.
    ///
    /// The secret is RFC 4648 §6 Base32 without padding; issuer and account are percent-encoded
    /// (RFC 3986 §2.1, everything but unreserved characters), so a ':' inside either cannot be
    /// mistaken for the label separator.
    public static func provisioningURI(secret: [UInt8], issuer: String, account: String) -> String {
        let issuerEncoded = percentEncoded(issuer)
        return "otpauth://totp/\(issuerEncoded):\(percentEncoded(account))"
            + "?secret=\(Base32.encode(secret))&issuer=\(issuerEncoded)&algorithm=SHA1&digits=6&period=30"
    }

    /// The counters `distance` steps before and after `current` that exist (no wrap below 0).
    private static func candidates(around current: UInt64, distance: Int) -> [UInt64] {
        let step = UInt64(distance)
        if step == 0 { return [current] }
        var out: [UInt64] = []
        if current >= step { out.append(current - step) }
        let (later, overflow) = current.addingReportingOverflow(step)
        if !overflow { out.append(later) }
        return out
    }

    private static func powerOfTen(_ exponent: Int) -> UInt32 {
        var value: UInt32 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// RFC 3986 §2.1 percent-encoding of the UTF-8 bytes, keeping only unreserved characters (§2.3).
    private static func percentEncoded(_ string: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
