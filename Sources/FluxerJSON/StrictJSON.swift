/// A strict RFC 8259 grammar check, run over a request body before it is decoded. Foundation's decoder is
/// lenient where an attacker can use the difference (it accepts `{"a":1,}`, and keeps one of two duplicate
/// keys where another parser in the path may keep the other); this check accepts exactly the JSON text of
/// RFC 8259 §2–§8, plus the I-JSON rule of unique member names (RFC 7493 §2.3), and nothing else: no trailing
/// commas, comments, single quotes, `NaN`/`Infinity`, leading zeros, unescaped control characters, lone
/// surrogate escapes or invalid UTF-8. Pure and bounded: one pass, depth-limited, no recursion.
package enum StrictJSON {
    /// The deepest nesting of arrays and objects accepted (request bodies here are two levels deep).
    package static let maxDepth = 32

    /// Why a text is refused: a short reason and the byte offset where the grammar failed.
    package struct Violation: Error, Equatable {
        package var reason: String
        package var offset: Int
        /// The memberwise initializer, visible to the other targets of the package.
        package init(reason: String, offset: Int) {
            self.reason = reason
            self.offset = offset
        }
    }

    /// Nil when `bytes` is one JSON text as RFC 8259 defines it, with unique member names in every object.
    package static func violation(in bytes: [UInt8]) -> Violation? {
        var scanner = Scanner(bytes: bytes)
        do {
            try scanner.document()
            return nil
        } catch {
            return error
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        /// One open container: an array, or an object with the member names seen so far.
        enum Frame {
            case array
            case object(Set<[UInt8]>)
        }

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String) -> Violation { Violation(reason: reason, offset: i) }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        /// ws = *( %x20 / %x09 / %x0A / %x0D )
        mutating func skipWhitespace() {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
        }

        mutating func expect(_ byte: UInt8, _ reason: String) throws(Violation) {
            guard current == byte else { throw fail(reason) }
            i += 1
        }

        /// JSON-text = ws value ws (RFC 8259 §2), values nested through an explicit stack.
        mutating func document() throws(Violation) {
            var stack: [Frame] = []
            skipWhitespace()
            while true {
                // A value is expected here.
                guard let first = current else { throw fail("unexpected end of text") }
                switch first {
                case UInt8(ascii: "{"):
                    i += 1
                    guard stack.count < StrictJSON.maxDepth else { throw fail("nested too deeply") }
                    skipWhitespace()
                    if current == UInt8(ascii: "}") {
                        i += 1
                    } else {
                        stack.append(.object([]))
                        try memberName(&stack)
                        continue
                    }
                case UInt8(ascii: "["):
                    i += 1
                    guard stack.count < StrictJSON.maxDepth else { throw fail("nested too deeply") }
                    skipWhitespace()
                    if current == UInt8(ascii: "]") {
                        i += 1
                    } else {
                        stack.append(.array)
                        continue
                    }
                case UInt8(ascii: "\""):
                    _ = try string()
                case UInt8(ascii: "t"): try literal("true")
                case UInt8(ascii: "f"): try literal("false")
                case UInt8(ascii: "n"): try literal("null")
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
                default: throw fail("expected a value")
                }
                // A value ended: close containers, or move to the next element or member.
                while true {
                    skipWhitespace()
                    guard let top = stack.last else {
                        guard current == nil else { throw fail("text after the value") }
                        return
                    }
                    switch (top, current) {
                    case (_, UInt8(ascii: ",")?):
                        i += 1
                        skipWhitespace()
                        if case .object = top { try memberName(&stack) }
                        // A trailing comma fails at the value (or name) that must follow it.
                    case (.array, UInt8(ascii: "]")?), (.object, UInt8(ascii: "}")?):
                        i += 1
                        stack.removeLast()
                        continue
                    case (.array, _): throw fail("expected ',' or ']'")
                    case (.object, _): throw fail("expected ',' or '}'")
                    }
                    break
                }
            }
        }

        /// member = string name-separator value; the name must be new in its object (RFC 7493 §2.3).
        mutating func memberName(_ stack: inout [Frame]) throws(Violation) {
            guard current == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let start = i
            let name = try string()
            guard case .object(var names) = stack.removeLast() else { throw fail("internal") }
            guard names.insert(name).inserted else {
                i = start
                throw fail("duplicate member name")
            }
            stack.append(.object(names))
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "expected ':'")
            skipWhitespace()
        }

        mutating func literal(_ word: StaticString) throws(Violation) {
            let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes.count - i >= text.count, bytes[i..<(i + text.count)].elementsEqual(text) else { throw fail("expected a value") }
            i += text.count
        }

        /// number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT ) (RFC 8259 §6).
        mutating func number() throws(Violation) {
            if current == UInt8(ascii: "-") { i += 1 }
            guard let first = current, isDigit(first) else { throw fail("invalid number") }
            i += 1
            if first == UInt8(ascii: "0") {
                if let b = current, isDigit(b) { throw fail("leading zero") }
            } else {
                digits()
            }
            if current == UInt8(ascii: ".") {
                i += 1
                guard let b = current, isDigit(b) else { throw fail("invalid number") }
                digits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                i += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
                guard let b = current, isDigit(b) else { throw fail("invalid number") }
                digits()
            }
        }

        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

        mutating func digits() {
            while let b = current, isDigit(b) { i += 1 }
        }

        /// string = quotation-mark *char quotation-mark (RFC 8259 §7), with well-formed UTF-8 (§8.1) and
        /// escapes that name whole code points. Returns the raw bytes between the quotes (the key for duplicate
        /// detection; escapes are decoded so `"a"` and `"\u0061"` are the same name).
        mutating func string() throws(Violation) -> [UInt8] {
            i += 1
            var decoded: [UInt8] = []
            while true {
                guard let b = current else { throw fail("unterminated string") }
                switch b {
                case UInt8(ascii: "\""):
                    i += 1
                    return decoded
                case UInt8(ascii: "\\"):
                    i += 1
                    try escape(into: &decoded)
                case 0x00..<0x20:
                    throw fail("control character in string")
                case 0x20..<0x80:
                    decoded.append(b)
                    i += 1
                default:
                    try utf8Sequence(into: &decoded)
                }
            }
        }

        mutating func escape(into decoded: inout [UInt8]) throws(Violation) {
            guard let b = current else { throw fail("unterminated string") }
            i += 1
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(b)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard current == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone surrogate escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("lone surrogate escape")
                }
                decoded.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw fail("invalid escape")
            }
        }

        mutating func hex4() throws(Violation) -> UInt32 {
            guard bytes.count - i >= 4 else { throw fail("invalid \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let digit: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
                default: throw fail("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                i += 1
            }
            return value
        }

        /// One well-formed UTF-8 sequence of two to four bytes (Unicode Table 3-7: no overlongs, no surrogates,
        /// nothing past U+10FFFF).
        mutating func utf8Sequence(into decoded: inout [UInt8]) throws(Violation) {
            let lead = bytes[i]
            let count: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 2
            case 0xE0: count = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 3
            case 0xED: count = 3; high = 0x9F
            case 0xF0: count = 4; low = 0x90
            case 0xF1...0xF3: count = 4
            case 0xF4: count = 4; high = 0x8F
            default: throw fail("invalid UTF-8")
            }
            guard bytes.count - i >= count else { throw fail("invalid UTF-8") }
            for k in 1..<count {
                let b = bytes[i + k]
                let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard b >= lo && b <= hi else { throw fail("invalid UTF-8") }
            }
            decoded.append(contentsOf: bytes[i..<(i + count)])
            i += count
        }
    }
}
