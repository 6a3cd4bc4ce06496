/// Character classes of RFC 9110 §5.6.2 and RFC 3986 §2, as 256-entry tables so the parser does one load per byte.
enum ByteClasses {
    static let CR: UInt8 = 0x0D
    static let LF: UInt8 = 0x0A
    static let SP: UInt8 = 0x20
    static let HTAB: UInt8 = 0x09

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let tchar: [Bool] = table { b in
        isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".utf8.contains(b)
    }

    /// Characters allowed in a request-target (RFC 3986: unreserved, gen-delims but "#", sub-delims, "%").
    static let targetChar: [Bool] = table { b in
        isAlpha(b) || isDigit(b) || "-._~:/?[]@!$&'()*+,;=%".utf8.contains(b)
    }

    /// Characters allowed in a Host value: reg-name, IPv4, IP-literal and ":" port (RFC 3986 §3.2.2).
    static let hostChar: [Bool] = table { b in
        isAlpha(b) || isDigit(b) || "-._~!$&'()*+;=:[]%".utf8.contains(b)
    }

    /// field-vchar and the spaces allowed inside a field value. obs-text is refused (a stricter choice:
    /// RFC 9110 §5.5 permits it, but no auth client needs it and it hides U+00A0 / U+0085 tricks).
    static let fieldValueChar: [Bool] = table { b in
        (b >= 0x21 && b <= 0x7E) || b == SP || b == HTAB
    }

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

    private static func table(_ predicate: (UInt8) -> Bool) -> [Bool] {
        (0...255).map { predicate(UInt8($0)) }
    }
}
