import Testing
@testable import HTTPServer

/// RFC 7578 text fields: what is read, and every malformed shape refused whole.
@Suite struct MultipartFormDataTests {
    static let b = "----fluxer7MA4YWxk"

    static func body(_ parts: [(String, String)], boundary: String = b, preamble: String = "", epilogue: String = "") -> [UInt8] {
        var s = preamble.isEmpty ? "" : preamble + "\r\n"
        for (name, value) in parts {
            s += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        s += "--\(boundary)--" + epilogue
        return Array(s.utf8)
    }

    @Test func boundary_fromTheContentType() {
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=\(Self.b)") == Self.b)
        #expect(MultipartFormData.boundary(contentType: "Multipart/Form-Data;boundary=\"a b'c\"") == "a b'c")
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=x") == "x")
        for bad in ["multipart/mixed; boundary=x", "multipart/form-data", "multipart/form-data; boundary=",
                    "multipart/form-data; boundary=" + String(repeating: "a", count: 71), "multipart/form-data; boundary=\"ends \"",
                    "multipart/form-data; boundary=a;b", "application/x-www-form-urlencoded", "multipart/form-data; boundary=é"] {
            #expect(MultipartFormData.boundary(contentType: bad) == nil, "\(bad)")
        }
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "a", count: 70)) != nil)
    }

    @Test func fields_inOrder_withPreambleEpilogueAndMultilineValues() throws {
        let fields = try #require(MultipartFormData.decode(Self.body([("grant_type", "refresh_token"), ("note", "a\r\nb"), ("empty", "")],
                                                                    preamble: "ignored", epilogue: "\r\nignored too"), boundary: Self.b))
        #expect(fields.map(\.name) == ["grant_type", "note", "empty"])
        #expect(fields.map(\.value) == ["refresh_token", "a\r\nb", ""])
        // Extra headers and a text/plain type are fine.
        let typed = Array("--x\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: text/plain; charset=utf-8\r\nX-Other: 1\r\n\r\nv\r\n--x--".utf8)
        #expect(MultipartFormData.decode(typed, boundary: "x")?.first?.value == "v")
        #expect(MultipartFormData.decode(Array("--x--".utf8), boundary: "x")?.isEmpty == true)
        // A quoted name may hold ";" (found by the fuzzer: U+037E, canonically equivalent to ";", once split it).
        let semicolons = Array("--x\r\nContent-Disposition: form-data; name=\"a;b\u{037E}c\"\r\n\r\nv\r\n--x--".utf8)
        #expect(MultipartFormData.decode(semicolons, boundary: "x")?.first?.name == "a;b\u{037E}c")
    }

    @Test(arguments: [
        ("no closing delimiter", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"),
        ("no delimiter at all", "a=1"),
        ("preamble without CRLF", "junk--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--x--"),
        ("LF line endings", "--x\nContent-Disposition: form-data; name=\"a\"\n\nv\n--x--"),
        ("no name", "--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--"),
        ("empty name", "--x\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--x--"),
        ("not form-data", "--x\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--x--"),
        ("a file", "--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f.txt\"\r\n\r\nv\r\n--x--"),
        ("two dispositions", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nv\r\n--x--"),
        ("binary type", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: application/octet-stream\r\n\r\nv\r\n--x--"),
        ("unterminated quote", "--x\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--x--"),
        ("headers never end", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n"),
        ("header without colon", "--x\r\nContent-Disposition form-data\r\n\r\nv\r\n--x--"),
    ])
    func malformed_refusedWhole(reason: String, text: String) {
        #expect(MultipartFormData.decode(Array(text.utf8), boundary: "x") == nil, "\(reason)")
    }

    @Test func limits_atAndPastTheLimit() {
        let many = (0..<MultipartFormData.maxParts).map { ("f\($0)", "v") }
        #expect(MultipartFormData.decode(Self.body(many), boundary: Self.b)?.count == MultipartFormData.maxParts)
        #expect(MultipartFormData.decode(Self.body(many + [("one", "more")]), boundary: Self.b) == nil)
        let header = "X: " + String(repeating: "h", count: MultipartFormData.maxHeaderLineBytes - 3)
        let atLimit = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\(header)\r\n\r\nv\r\n--x--"
        #expect(MultipartFormData.decode(Array(atLimit.utf8), boundary: "x") != nil)
        let pastLimit = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\(header)h\r\n\r\nv\r\n--x--"
        #expect(MultipartFormData.decode(Array(pastLimit.utf8), boundary: "x") == nil)
        let headers = (0..<MultipartFormData.maxPartHeaders).map { "X-\($0): 1\r\n" }.joined()
        #expect(MultipartFormData.decode(Array("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\(headers)\r\nv\r\n--x--".utf8), boundary: "x") == nil)
        // Invalid UTF-8 in a value.
        var bad = Array("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n".utf8) + [0xFF, 0xFE]
        bad += Array("\r\n--x--".utf8)
        #expect(MultipartFormData.decode(bad, boundary: "x") == nil)
    }

    /// Any prefix of a valid body is refused or read, never a crash (the parser is bounded at every step).
    @Test func everyPrefix_isSafe() {
        let full = Self.body([("grant_type", "authorization_code"), ("code", "abc")])
        for cut in 0...full.count { _ = MultipartFormData.decode(Array(full.prefix(cut)), boundary: Self.b) }
    }
}
