/// JSON string quoting (RFC 8259 §7), shared by `JSONValue`'s serializer and protocol-level bodies.
public enum JSONText {
    /// Returns `s` as a JSON string literal (RFC 8259 §7).
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal, in UTF-8. `"` and `\` are escaped, `\n`, `\r` and `\t` by their short
    /// forms, every other control character as `\u00xx`; U+2028 and U+2029 too (`\u2028`, `\u2029`: valid in JSON,
    /// but line terminators in JavaScript before ES2019, so a body pasted into a script cannot break it). Every other
    /// character is copied as it is. Runs that need no escape (nearly every string a response carries: tokens, ids,
    /// names) are copied at once from the string's UTF-8: appending it one scalar at a time cost ~400 instructions
    /// per character, a sixth of a token response's instructions (issue 17, `bench`).
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            var i = 0
            let n = u.count
            while i < n {
                let b = u[i]
                // Fast path: printable ASCII other than `"` and `\`, and every byte of a UTF-8 sequence except the
                // lead byte of U+2028/U+2029 (E2 80 A8 / E2 80 A9).
                if b >= 0x20 && b != 0x22 && b != 0x5C && b != 0xE2 {
                    i += 1
                    continue
                }
                if b == 0xE2 {
                    guard i + 2 < n, u[i + 1] == 0x80, u[i + 2] == 0xA8 || u[i + 2] == 0xA9 else {
                        i += 1
                        continue
                    }
                    if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i])) }
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "2"), UInt8(ascii: "0"), UInt8(ascii: "2"),
                                            u[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9")])
                    i += 3
                    runStart = i
                    continue
                }
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i])) }
                out.append(0x5C)
                switch b {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    // A control character: \u00 and two lowercase hex digits (b < 0x20, so the first is 0 or 1).
                    let low = b & 0xF
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), 0x30 + (b >> 4),
                                            low < 10 ? 0x30 + low : 0x57 + low])
                }
                i += 1
                runStart = i
            }
            if n > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<n])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
