/// `application/x-www-form-urlencoded` parsing and percent-decoding, byte-exact (no Foundation).
public enum FormURLEncoding {
    /// Splits `a=1&b=2` into pairs; `+` is a space; malformed escapes are kept literally.
    public static func decode(_ string: String) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        for part in string.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let pieces = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(pieces[0], plusIsSpace: true)
            let value = pieces.count > 1 ? percentDecode(pieces[1], plusIsSpace: true) : ""
            result.append((name, value))
        }
        return result
    }

    /// Decodes `%XX` escapes; returns a String with invalid UTF-8 repaired (callers compare decoded values,
    /// never secrets, through this path).
    public static func percentDecode<C: Collection>(_ bytes: C, plusIsSpace: Bool = false) -> String
    where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let b = bytes[index]
            if b == UInt8(ascii: "%") {
                let h1 = bytes.index(after: index)
                if h1 != bytes.endIndex {
                    let h2 = bytes.index(after: h1)
                    if h2 != bytes.endIndex, let hi = hexValue(bytes[h1]), let lo = hexValue(bytes[h2]) {
                        out.append(hi << 4 | lo)
                        index = bytes.index(after: h2)
                        continue
                    }
                }
                out.append(b)
            } else if plusIsSpace && b == UInt8(ascii: "+") {
                out.append(0x20)
            } else {
                out.append(b)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    public static func encode(_ string: String) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in string.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 0xF)]))
            }
        }
        return out
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
