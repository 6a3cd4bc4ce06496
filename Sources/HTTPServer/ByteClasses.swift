/// A set of ASCII bytes as a 128-bit mask: membership is a shift and a test, with no table load, bounds check or
/// lazy-global check on the parser's per-byte path. Bytes ≥ 0x80 are never members.
struct ByteSet: Sendable {
    let low: UInt64   // bytes 0x00–0x3F
    let high: UInt64  // bytes 0x40–0x7F

    @inline(__always) func contains(_ b: UInt8) -> Bool {
        b < 64 ? (low >> UInt64(b)) & 1 != 0 : b < 128 ? (high >> UInt64(b - 64)) & 1 != 0 : false
    }

    /// Table-style access, `set[Int(byte)]`.
    @inline(__always) subscript(_ i: Int) -> Bool { contains(UInt8(truncatingIfNeeded: i)) }
}

/// Character classes of RFC 9110 §5.6.2 and RFC 3986 §2. The masks are constants so every check inlines;
/// `ByteClassesTests` rebuilds each one from the RFC definition written out below and compares all 256 bytes.
enum ByteClasses {
    static let CR: UInt8 = 0x0D
    static let LF: UInt8 = 0x0A
    static let SP: UInt8 = 0x20
    static let HTAB: UInt8 = 0x09

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    /// Definition: `isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".utf8.contains(b)`
    static var tchar: ByteSet { ByteSet(low: 0x03FF6CFA00000000, high: 0x57FFFFFFC7FFFFFE) }

    /// Characters allowed in a request-target (RFC 3986: unreserved, gen-delims but "#", sub-delims, "%").
    /// Definition: `isAlpha(b) || isDigit(b) || "-._~:/?[]@!$&'()*+,;=%".utf8.contains(b)`
    static var targetChar: ByteSet { ByteSet(low: 0xAFFFFFF200000000, high: 0x47FFFFFEAFFFFFFF) }

    /// Characters allowed in a Host value: reg-name, IPv4, IP-literal and ":" port (RFC 3986 §3.2.2).
    /// Definition: `isAlpha(b) || isDigit(b) || "-._~!$&'()*+;=:[]%".utf8.contains(b)`
    static var hostChar: ByteSet { ByteSet(low: 0x2FFF6FF200000000, high: 0x47FFFFFEAFFFFFFE) }

    /// field-vchar and the spaces allowed inside a field value. obs-text is refused (a stricter choice:
    /// RFC 9110 §5.5 permits it, but no auth client needs it and it hides U+00A0 / U+0085 tricks).
    /// Definition: `(b >= 0x21 && b <= 0x7E) || b == SP || b == HTAB`
    static var fieldValueChar: ByteSet { ByteSet(low: 0xFFFFFFFF00000200, high: 0x7FFFFFFFFFFFFFFF) }

    static func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }
}
