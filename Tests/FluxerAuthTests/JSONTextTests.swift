import FluxerJSON
import Testing

/// `JSONText.quote` / `appendQuoted` copy runs of UTF-8 at once and escape byte by byte: they must produce exactly
/// what a quoting of one scalar at a time (the rule of RFC 8259 §7 as this server applies it) produces.
@Suite struct JSONTextTests {
    /// The reference: one scalar at a time.
    static func reference(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Every ASCII character, and the scalars around the two that are escaped although not control characters
    /// (U+2028 and U+2029 share their first two UTF-8 bytes, E2 80, with U+2000–U+203F, and E2 with U+2000–U+2FFF).
    static let edges: [Unicode.Scalar] = (0..<0x80).compactMap(Unicode.Scalar.init) + [
        0xE2, 0xE9, 0x7FF, 0x800, 0x2000, 0x2020, 0x2027, 0x2028, 0x2029, 0x202A, 0x20AC, 0x2FFF, 0x4E2D, 0xD7FF, 0xE000,
        0xFEFF, 0xFFFD, 0xFFFF, 0x1_0000, 0x1_F600, 0x10_FFFF,
    ].compactMap(Unicode.Scalar.init(_:) as (UInt32) -> Unicode.Scalar?)

    @Test func everyEdgeScalar_alone_andBetweenOthers() {
        for scalar in Self.edges {
            for s in [String(scalar), "a\(scalar)b", "\(scalar)\(scalar)", "é\(scalar)", "\(scalar)\u{2028}"] {
                #expect(JSONText.quote(s) == Self.reference(s), "\(Array(s.unicodeScalars.map(\.value)))")
            }
        }
        #expect(JSONText.quote("") == "\"\"")
        #expect(JSONText.quote("a\"b\\c\n\u{1}\u{2028}\u{1F}\u{7F}") == "\"a\\\"b\\\\c\\n\\u0001\\u2028\\u001f\u{7F}\"")
    }

    @Test func randomStrings_matchTheReference() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                // Mostly edge scalars (escapes, E2 sequences), sometimes any scalar.
                if Bool.random(using: &rng) {
                    s.unicodeScalars.append(Self.edges.randomElement(using: &rng)!)
                } else if let any = Unicode.Scalar(UInt32.random(in: 0...0x10_FFFF, using: &rng)) {
                    s.unicodeScalars.append(any)
                }
            }
            #expect(JSONText.quote(s) == Self.reference(s))
        }
    }

    @Test func serializedValues_parseBackToThemselves() throws {
        let value: JSONValue = .object([
            ("token", "kq9e0sO3Aq1mZ4vJ0n7bT2yXhVd8LwRfE5cU6aGiPj"), ("quote\"key", "line\nbreak\u{2028}\u{1}"),
            ("nested", .array([.null, true, false, 42, -7, .double(1.5), .string("中文😀"), .object([])])),
        ])
        #expect(try JSONValue.parse(value.bytes) == value)
        #expect(value.serialized == String(decoding: value.bytes, as: UTF8.self))
        #expect(JSONValue.string("\u{2029}").serialized == "\"\\u2029\"")
    }
}
