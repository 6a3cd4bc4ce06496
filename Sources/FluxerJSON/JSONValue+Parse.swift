extension JSONValue {
    /// Parses one JSON text, keeping object members in document order (Foundation's parser does not, and the
    /// OpenAPI document is rendered in the order it was written). The text must first pass `StrictJSON`: RFC
    /// 8259 exactly, unique member names, at most `StrictJSON.maxDepth` levels; the build below then reads a
    /// grammar it knows to be valid, so its recursion is bounded by that depth.
    /// Integers that fit in 64 bits become `.int`; any other number `.double`.
    package static func parse(_ bytes: [UInt8]) throws(StrictJSON.Violation) -> JSONValue {
        if let violation = StrictJSON.violation(in: bytes) { throw violation }
        var reader = Reader(bytes: bytes)
        return reader.value()
    }

    /// Reads a text `StrictJSON` accepted; every `!` and fallback below is unreachable for such a text.
    private struct Reader {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func value() -> JSONValue {
            skipWhitespace()
            guard i < bytes.count else { return .null }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSONValue)] = []
                skipWhitespace()
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipWhitespace()
                    let name = string()
                    skipWhitespace()
                    i += 1  // ':'
                    members.append((name, value()))
                    skipWhitespace()
                    let separator = bytes[i]
                    i += 1
                    if separator == UInt8(ascii: "}") { return .object(members) }
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skipWhitespace()
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    items.append(value())
                    skipWhitespace()
                    let separator = bytes[i]
                    i += 1
                    if separator == UInt8(ascii: "]") { return .array(items) }
                }
            case UInt8(ascii: "\""):
                return .string(string())
            case UInt8(ascii: "t"):
                i += 4
                return .bool(true)
            case UInt8(ascii: "f"):
                i += 5
                return .bool(false)
            case UInt8(ascii: "n"):
                i += 4
                return .null
            default:
                return number()
            }
        }

        /// A number ends at the first byte that cannot be part of one (RFC 8259 §6: digits, sign, '.', exponent).
        mutating func number() -> JSONValue {
            let start = i
            var isInteger = true
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                    isInteger = false
                } else if !((b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")) {
                    break
                }
                i += 1
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if isInteger, let n = Int64(text) { return .int(n) }
            return .double(Double(text) ?? 0)
        }

        /// A string starting at the opening quote; escapes decoded (the pairs of a surrogate escape included).
        mutating func string() -> String {
            i += 1
            var out: [UInt8] = []
            while bytes[i] != UInt8(ascii: "\"") {
                guard bytes[i] == UInt8(ascii: "\\") else {
                    out.append(bytes[i])
                    i += 1
                    continue
                }
                let escaped = bytes[i + 1]
                i += 2
                switch escaped {
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        i += 2  // "\u" of the low surrogate
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4() - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
                default: out.append(escaped)  // '"', '\\', '/'
                }
            }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let digit: UInt8 = switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
                default: b - UInt8(ascii: "A") + 10
                }
                value = value << 4 | UInt32(digit)
                i += 1
            }
            return value
        }
    }
}
