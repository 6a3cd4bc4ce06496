import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerJSON

/// Issue 12: request bodies are RFC 8259 JSON, strictly (with unique member names, RFC 7493 §2.3).
@Suite struct StrictJSONTests {
    private func accepts(_ text: String) -> Bool { StrictJSON.violation(in: Array(text.utf8)) == nil }
    private func reason(_ bytes: [UInt8]) -> String? { StrictJSON.violation(in: bytes)?.reason }

    @Test(arguments: [
        "{}", "[]", " {\"a\" : 1 } ", "\t\r\n[ ]\n", "0", "-0", "1.5e10", "-1E-2", "0.0", "1e+2", "true", "false", "null",
        "\"\"", "\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"é😀\"", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
        "[[[[]]]]", "{\"a\":{},\"b\":[]}", "{\"a\":1,\"A\":2}", "{\"\":1}", "[1,1,1]", "{\"a\":{\"a\":{\"a\":1}}}",
    ])
    func rfc8259Texts_accepted(text: String) {
        #expect(accepts(text), "refused \(text): \(reason(Array(text.utf8)) ?? "")")
    }

    @Test(arguments: [
        ("{\"email\":\"a@b.c\",}", "expected a member name"),
        ("[1,]", "expected a value"),
        ("[1,,2]", "expected a value"),
        ("{,}", "expected a member name"),
        ("{\"a\":1 // c\n}", "expected ',' or '}'"),
        ("/* c */ {}", "expected a value"),
        ("{'a':1}", "expected a member name"),
        ("{\"a\":'x'}", "expected a value"),
        ("{\"a\":NaN}", "expected a value"),
        ("{\"a\":Infinity}", "expected a value"),
        ("{\"a\":-Infinity}", "invalid number"),
        ("{\"a\":01}", "leading zero"),
        ("{\"a\":-01}", "leading zero"),
        ("{\"a\":1.}", "invalid number"),
        ("{\"a\":.5}", "expected a value"),
        ("{\"a\":+1}", "expected a value"),
        ("{\"a\":1e}", "invalid number"),
        ("{\"a\":0x10}", "expected ',' or '}'"),
        ("{\"a\":1,\"a\":2}", "duplicate member name"),
        ("{\"a\":1,\"\\u0061\":1}", "duplicate member name"),
        ("[{\"x\":1},{\"y\":{\"z\":1,\"z\":1}}]", "duplicate member name"),
        ("{\"a\":tru}", "expected a value"),
        ("{\"a\":True}", "expected a value"),
        ("{\"a\" 1}", "expected ':'"),
        ("{\"a\":1}}", "text after the value"),
        ("{}{}", "text after the value"),
        ("", "unexpected end of text"),
        ("   ", "unexpected end of text"),
        ("{\"a\":\"\\x41\"}", "invalid escape"),
        ("{\"a\":\"\\u12\"}", "invalid \\u escape"),
        ("{\"a\":\"\\ud800\"}", "lone surrogate escape"),
        ("{\"a\":\"\\udc00\"}", "lone surrogate escape"),
        ("{\"a\":\"\\ud800\\u0041\"}", "lone surrogate escape"),
        ("{\"a\":\"tab\there\"}", "control character in string"),
        ("{\"a\":\"unterminated}", "unterminated string"),
        ("\u{FEFF}{}", "expected a value"),
        ("[1]\u{0}", "text after the value"),
    ])
    func nonRFC8259Texts_refused(text: String, expected: String) {
        #expect(reason(Array(text.utf8)) == expected, "\(text.debugDescription)")
    }

    @Test func invalidUTF8_refused() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                               [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0x80, 0x22]] {
            #expect(reason(bytes) == "invalid UTF-8", "\(bytes)")
        }
        #expect(reason([0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]) == nil)
    }

    @Test func depth_atLimit_accepted_pastLimit_refused() {
        let limit = StrictJSON.maxDepth
        #expect(accepts(String(repeating: "[", count: limit) + String(repeating: "]", count: limit)))
        #expect(reason(Array((String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)).utf8)) == "nested too deeply")
        #expect(reason(Array((String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)).utf8)) == "nested too deeply")
        // 100,000 levels: refused at the limit, no recursion to overflow.
        #expect(reason(Array(repeating: UInt8(ascii: "["), count: 100_000)) == "nested too deeply")
    }

    @Test func violation_reportsTheOffset() {
        #expect(StrictJSON.violation(in: Array("{\"a\":1,}".utf8)) == .init(reason: "expected a member name", offset: 7))
        #expect(StrictJSON.violation(in: Array("{\"a\":1,\"a\":2}".utf8)) == .init(reason: "duplicate member name", offset: 7))
    }

    /// The review's case: a trailing comma registered a user. Now 400 `INVALID_FORM_BODY` / `INVALID_JSON`, and
    /// nothing is written; every other JSON endpoint is swept by tests/adversarial/test_bad_input.py.
    @Test func register_trailingComma_commentQuotesNaNDuplicateKey_refused_nothingWritten() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let bodies = [
            #"{"email":"a@b.c","username":"alice","password":"k3#Rv9!x-long","date_of_birth":"1990-01-01","consent":true,}"#,
            #"{"email":"a@b.c","username":"alice","password":"k3#Rv9!x-long","date_of_birth":"1990-01-01","consent":true /* ok */}"#,
            #"{'email':'a@b.c','username':'alice','password':'k3#Rv9!x-long','date_of_birth':'1990-01-01','consent':true}"#,
            #"{"email":"a@b.c","username":"alice","password":"k3#Rv9!x-long","date_of_birth":"1990-01-01","consent":true,"x":NaN}"#,
            #"{"email":"x@b.c","email":"a@b.c","username":"alice","password":"k3#Rv9!x-long","date_of_birth":"1990-01-01","consent":true}"#,
        ]
        for body in bodies {
            let response = try h.expectNoChange(body) { h.request("POST", "/auth/register", json: body) }
            #expect(response.status == 400, "\(body)")
            #expect(errorCode(response) == "INVALID_FORM_BODY")
            #expect(formErrors(response).map(\.code) == ["INVALID_JSON"], "\(response.body)")
        }
        #expect(try h.count("users") == 0)
    }
}
