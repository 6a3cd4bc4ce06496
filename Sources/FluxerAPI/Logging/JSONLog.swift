/// The two log line formats (`log.format`, `--log-format`): logfmt text, or one JSON object per line with the
/// same fields in the same order. What a line may hold is the same in both (no token, password, code, query
/// string or header value): only the encoding differs.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `key=value` pairs (logfmt).
    case text
    /// One JSON object per line (RFC 8259), e.g. for a log shipper.
    case json
}

/// JSON encoding for log lines, written byte by byte: the access log calls it on the event loop for every
/// request, so the usual value (ASCII with nothing to escape) is copied as is.
package enum JSONLog {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `s` as a JSON string literal (RFC 8259 §7): quotes and backslashes escaped, every control
    /// character (C0, DEL, C1) as `\uXXXX` (short forms for \n, \r, \t), and U+2028/U+2029 escaped too so a line
    /// is safe to embed in JavaScript. A Swift string is always valid Unicode (bytes that were not UTF-8 were
    /// replaced by U+FFFD when it was made), so the output is valid UTF-8.
    package static func appendString(_ out: inout [UInt8], _ s: String) {
        var s = s
        out.append(UInt8(ascii: "\""))
        let copied = s.withUTF8 { bytes -> Bool in
            // 0xC2 starts the C1 controls (U+0080…U+009F), 0xE2 the line and paragraph separators.
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if !copied {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": append(&out, "\\\"")
                case "\\": append(&out, "\\\\")
                case "\n": append(&out, "\\n")
                case "\r": append(&out, "\\r")
                case "\t": append(&out, "\\t")
                default:
                    let v = scalar.value
                    if v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0x2028 || v == 0x2029 {
                        append(&out, "\\u")
                        for shift: UInt32 in [12, 8, 4, 0] { out.append(hexDigits[Int((v >> shift) & 0xF)]) }
                    } else {
                        out.append(contentsOf: String(scalar).utf8)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `s` as a JSON string literal.
    package static func string(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(&out, s)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `"key":` (keys are fixed ASCII names, or metadata keys escaped like any string).
    package static func appendKey(_ out: inout [UInt8], _ key: String, first: Bool = false) {
        if !first { out.append(UInt8(ascii: ",")) }
        appendString(&out, key)
        out.append(UInt8(ascii: ":"))
    }

    static func append(_ out: inout [UInt8], _ s: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
