/// `application/x-www-form-urlencoded` parsing and percent-decoding, byte-exact (no Foundation).
public enum FormURLEncoding {
    /// Splits `a=1&b=2` into pairs; `+` is a space; malformed escapes are kept literally.
    public static func decode(_ string: String) -> [(name: String, value: String)] {
        var string = string
        return string.withUTF8 { decode(bytes: $0) }
    }

    /// `application/x-www-form-urlencoded` pairs of `bytes` (a request body as it came): split on `&` (empty parts
    /// skipped), each part on its first `=`, both sides percent-decoded with `+` as space. Works on the bytes in place:
    /// the `String.UTF8View` slices `decode(_:)` used to split were a twelfth of a token request's instructions.
    public static func decode(bytes: UnsafeBufferPointer<UInt8>) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                var equals = start
                while equals < end && bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                let name = percentDecode(UnsafeBufferPointer(rebasing: bytes[start..<equals]), plusIsSpace: true)
                let value = equals < end
                    ? percentDecode(UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end]), plusIsSpace: true) : ""
                result.append((name, value))
            }
            start = end + 1
        }
        return result
    }

    /// `percentDecode` of a substring's UTF-8, read in place.
    public static func percentDecode(_ text: Substring, plusIsSpace: Bool = false) -> String {
        var text = text
        return text.withUTF8 { percentDecode($0, plusIsSpace: plusIsSpace) }
    }

    /// Decodes `%XX` escapes; returns a String with invalid UTF-8 repaired (callers compare decoded values,
    /// never secrets, through this path).
    public static func percentDecode<C: Collection>(_ bytes: C, plusIsSpace: Bool = false) -> String
    where C.Element == UInt8 {
        // Nearly every value (ids, codes, tokens) has nothing to decode.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(decoding: bytes, as: UTF8.self)
        }
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
