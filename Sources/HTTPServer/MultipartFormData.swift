/// `multipart/form-data` fields (RFC 7578 over RFC 2046 §5.1.1), as Fluxer's OAuth2 endpoints accept them. Text
/// fields only: a part with a `filename` is refused. A pure, strict, bounded parser: any malformed body gives nil.
public enum MultipartFormData {
    /// Parts one body may have.
    public static let maxParts = 64
    /// Header lines one part may have, and the length of one.
    public static let maxPartHeaders = 8
    public static let maxHeaderLineBytes = 1024

    /// The `boundary` parameter of a `multipart/form-data` Content-Type (RFC 2046 §5.1.1: 1–70 characters of
    /// `bchars`, not ending in a space), quoted or not; nil for any other type.
    public static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.first?.trimmedOWS.lowercased() == "multipart/form-data" else { return nil }
        var boundary: String?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            guard pair[0].trimmedOWS.lowercased() == "boundary" else { continue }
            var value = pair[1].trimmedOWS
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            let allowed: (UInt8) -> Bool = { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || Array("'()+_,-./:=? ".utf8).contains(b)
            }
            guard boundary == nil, (1...70).contains(value.utf8.count), value.utf8.allSatisfy(allowed), value.utf8.last != 0x20
            else { return nil }
            boundary = value
        }
        return boundary
    }

    /// The fields of `body`, in order; nil when the body is not well-formed multipart with this boundary.
    public static func decode(_ body: [UInt8], boundary: String) -> [(name: String, value: String)]? {
        let delimiter = Array("--".utf8) + Array(boundary.utf8)
        let crlf: [UInt8] = [0x0D, 0x0A]
        // The first delimiter: at the start, or after a preamble that ends in CRLF.
        guard var at = firstIndex(of: delimiter, in: body, from: 0), at == 0 || (at >= 2 && Array(body[(at - 2)..<at]) == crlf)
        else { return nil }
        var fields: [(String, String)] = []
        while true {
            at += delimiter.count
            // "--" after a delimiter closes the body (the epilogue is ignored).
            if body.count >= at + 2, body[at] == 0x2D, body[at + 1] == 0x2D { return fields }
            // Transport padding (spaces, tabs) may follow a delimiter, then CRLF.
            while at < body.count, body[at] == 0x20 || body[at] == 0x09 { at += 1 }
            guard body.count >= at + 2, Array(body[at..<(at + 2)]) == crlf, fields.count < maxParts else { return nil }
            at += 2
            // Headers up to an empty line.
            var name: String?
            var headerCount = 0
            while true {
                guard let end = firstIndex(of: crlf, in: body, from: at), end - at <= maxHeaderLineBytes else { return nil }
                if end == at { at += 2; break }
                headerCount += 1
                guard headerCount <= maxPartHeaders,
                      let line = String(validating: body[at..<end], as: UTF8.self),
                      let colon = line.firstIndex(of: ":")
                else { return nil }
                let field = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmedOWS
                switch field {
                case "content-disposition":
                    guard name == nil, let parsed = dispositionName(value) else { return nil }
                    name = parsed
                case "content-type":
                    // A text field: text/plain (UTF-8) or nothing.
                    let type = value.split(separator: ";").first?.trimmedOWS.lowercased() ?? ""
                    guard type == "text/plain" else { return nil }
                default:
                    break
                }
                at = end + 2
            }
            guard let name else { return nil }
            // The content runs to CRLF followed by the next delimiter.
            guard let next = firstIndex(of: crlf + delimiter, in: body, from: at),
                  let value = String(validating: body[at..<next], as: UTF8.self)
            else { return nil }
            fields.append((name, value))
            at = next + 2
        }
    }

    /// The `name` of `form-data; name="…"` with no `filename` (RFC 7578 §4.2); nil otherwise.
    static func dispositionName(_ value: String) -> String? {
        guard let parts = splitParameters(value) else { return nil }
        guard parts.first?.lowercased() == "form-data" else { return nil }
        var name: String?
        for parameter in parts.dropFirst() {
            guard let equals = parameter.utf8.firstIndex(of: 0x3D) else { return nil }
            let key = String(decoding: parameter.utf8[..<equals], as: UTF8.self).trimmedOWS.lowercased()
            var raw = String(decoding: parameter.utf8[parameter.utf8.index(after: equals)...], as: UTF8.self).trimmedOWS
            if raw.hasPrefix("\"") {
                guard raw.count >= 2, raw.hasSuffix("\""), !raw.dropFirst().dropLast().contains("\"") else { return nil }
                raw = String(raw.dropFirst().dropLast())
            }
            switch key {
            case "name": guard name == nil, !raw.isEmpty, raw.utf8.count <= 256 else { return nil }; name = raw
            case "filename", "filename*": return nil
            default: break
            }
        }
        return name
    }

    /// `value` split at the ASCII `;` bytes outside double quotes (a quoted name may hold `;`), each piece
    /// trimmed; nil when a quote is left open. Bytes, not Characters: a Character comparison would also split at
    /// U+037E, which is canonically equivalent to `;`.
    static func splitParameters(_ value: String) -> [String]? {
        var pieces: [String] = []
        var current: [UInt8] = []
        var quoted = false
        for byte in value.utf8 {
            if byte == 0x22 { quoted.toggle() }
            if byte == 0x3B && !quoted {
                pieces.append(String(decoding: current, as: UTF8.self).trimmedOWS)
                current = []
            } else {
                current.append(byte)
            }
        }
        guard !quoted else { return nil }
        pieces.append(String(decoding: current, as: UTF8.self).trimmedOWS)
        return pieces
    }

    /// The first index at or after `from` where `needle` occurs in `haystack`.
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        let first = needle[0]
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (RFC 9110 OWS).
    fileprivate var trimmedOWS: String {
        let bytes = Array(utf8)
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
