@testable import HTTPServer
import Testing

/// Messages the parser must refuse, each with the checklist id (security-checklist.md §2.2) and status.
/// Every row is also parsed split at every byte position and one byte at a time (`expectRefused`).
@Suite struct RequestParserRefusalTests {
    // MARK: Framing: Content-Length and Transfer-Encoding

    static let framing: [RefusalCase] = [
        // H1: both framings.
        RefusalCase("H1", "CL and TE", post(fields: ["Content-Length: 5", "Transfer-Encoding: chunked"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H1", "TE and CL", post(fields: ["Transfer-Encoding: chunked", "Content-Length: 5"], body: "0\r\n\r\n"), .badRequest),
        // H2: differing Content-Length.
        RefusalCase("H2", "two differing CL", post(fields: ["Content-Length: 5", "Content-Length: 6"], body: "hello!"), .badRequest),
        RefusalCase("H2", "CL list 5, 6", post(fields: ["Content-Length: 5, 6"], body: "hello!"), .badRequest),
        // H3: identical duplicates refused by choice.
        RefusalCase("H3", "two equal CL", post(fields: ["Content-Length: 5", "Content-Length: 5"], body: "hello"), .badRequest),
        RefusalCase("H3", "CL list 5, 5", post(fields: ["Content-Length: 5, 5"], body: "hello"), .badRequest),
        // H5 / H6: transfer codings.
        RefusalCase("H5", "TE chunked, gzip (chunked not final)", post(fields: ["Transfer-Encoding: chunked, gzip"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE identity", post(fields: ["Transfer-Encoding: identity"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE xchunked", post(fields: ["Transfer-Encoding: xchunked"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE gzip only", post(fields: ["Transfer-Encoding: gzip"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE , chunked (empty element)", post(fields: ["Transfer-Encoding: , chunked"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE chunked, (empty element)", post(fields: ["Transfer-Encoding: chunked,"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE empty value", post(fields: ["Transfer-Encoding:"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE VT chunked", post(fields: ["Transfer-Encoding: \u{0B}chunked"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE chunked, chunked", post(fields: ["Transfer-Encoding: chunked, chunked"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "two TE fields", post(fields: ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], body: "0\r\n\r\n"), .badRequest),
        RefusalCase("H5", "TE gzip, chunked (unknown coding)", post(fields: ["Transfer-Encoding: gzip, chunked"], body: "0\r\n\r\n"), .notImplemented),
        RefusalCase("H5", "TE deflate, chunked (unknown coding)", post(fields: ["Transfer-Encoding: deflate, chunked"], body: "0\r\n\r\n"), .notImplemented),
        RefusalCase("H6", "TE in HTTP/1.0", post(fields: ["Transfer-Encoding: chunked"], body: "0\r\n\r\n", version: "HTTP/1.0"), .badRequest),
        // §2.3: KELVIN SIGN must never fold to "chunked"; with a CL and a smuggled request it is refused outright.
        RefusalCase("H15", "TE chun\\u212Aed with CL and smuggled request",
                    bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chun") + [0xE2, 0x84, 0xAA]
                        + bytes("ed\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H15", "TE chun\\u212Aed alone", Array(post(fields: [], body: "").dropLast(2)) + bytes("Transfer-Encoding: chun")
                        + [0xE2, 0x84, 0xAA] + bytes("ed\r\n\r\n0\r\n\r\n"), .badRequest),
        RefusalCase("H10", "obs-fold on TE", bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"), .badRequest),
        RefusalCase("H11", "TE with space before colon", post(fields: ["Transfer-Encoding : chunked"], body: "0\r\n\r\n"), .badRequest),
    ]

    @Test("framing (H1–H6, H10, H11, H15)", arguments: framing)
    func framingIsRefused(_ c: RefusalCase) {
        expectRefused(c.raw, c.status)
    }

    /// H4: Content-Length = 1*DIGIT, no sign, prefix, separator, space, overflow or (by choice) leading zero.
    @Test("H4 malformed Content-Length → 400", arguments: [
        "+5", "-0", "-1", "0x5", "5 5", "1_0", "", "99999999999999999999", "0200", "00", "5.0", "5,", ",5", "1e3", "\u{0B}5", "٥",
    ])
    func malformedContentLength(_ value: String) {
        expectRefused(post(fields: ["Content-Length: \(value)"], body: "hello"), .badRequest)
    }

    // MARK: Head syntax

    static let headSyntax: [RefusalCase] = [
        RefusalCase("H10", "obs-fold", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: v\r\n  continued\r\n\r\n"), .badRequest),
        RefusalCase("H10", "obs-fold with HTAB", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: v\r\n\tcontinued\r\n\r\n"), .badRequest),
        RefusalCase("H11", "space before colon on Host", bytes("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), .badRequest),
        RefusalCase("H11", "tab before colon", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A\t: v\r\n\r\n"), .badRequest),
        RefusalCase("H12", "whitespace line before first field", bytes("GET / HTTP/1.1\r\n \r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H13", "bare LF everywhere", bytes("GET / HTTP/1.1\nHost: a\n\n"), .badRequest),
        RefusalCase("H13", "bare LF after a field", bytes("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), .badRequest),
        RefusalCase("H13", "bare LF ends the head", bytes("GET / HTTP/1.1\r\nHost: a\r\n\n"), .badRequest),
        RefusalCase("H14", "bare CR inside a field line", bytes("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), .badRequest),
        RefusalCase("H14", "bare CR in request-line", bytes("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H14", "CR CR LF", bytes("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H14", "head ended by CRLF CR X", bytes("GET / HTTP/1.1\r\nHost: a\r\n\rX"), .badRequest),
        RefusalCase("H15", "NUL in value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n"), .badRequest),
        RefusalCase("H15", "DEL in value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{7F}b\r\n\r\n"), .badRequest),
        RefusalCase("H15", "ESC in value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{1B}b\r\n\r\n"), .badRequest),
        RefusalCase("H15", "VT in value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: \u{0B}\r\n\r\n"), .badRequest),
        RefusalCase("H15", "non-ASCII (é) in value", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u{E9}\r\n\r\n"), .badRequest),
        RefusalCase("H15", "obs-text 0xA0 around value", Array(get().dropLast(2)) + bytes("X-A:") + [0xA0] + bytes("v\r\n\r\n"), .badRequest),
        RefusalCase("H15", "obs-text 0x85 in value", Array(get().dropLast(2)) + bytes("X-A: v") + [0x85] + bytes("\r\n\r\n"), .badRequest),
        RefusalCase("H15", "NUL in name", bytes("GET / HTTP/1.1\r\nHost: a\r\nX\u{0}A: v\r\n\r\n"), .badRequest),
        RefusalCase("H15", "non-ASCII in name", bytes("GET / HTTP/1.1\r\nHost: a\r\nX-\u{C5}: v\r\n\r\n"), .badRequest),
        RefusalCase("H15", "LONG S in name", bytes("GET / HTTP/1.1\r\nHost: a\r\nTran\u{17F}fer-Encoding: chunked\r\n\r\n"), .badRequest),
        RefusalCase("H15", "space inside name", bytes("GET / HTTP/1.1\r\nHost: a\r\nX A: v\r\n\r\n"), .badRequest),
        RefusalCase("H15", "invalid char ( in name", bytes("GET / HTTP/1.1\r\nHost: a\r\nX(A): v\r\n\r\n"), .badRequest),
        RefusalCase("H15", "empty name", bytes("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n"), .badRequest),
        RefusalCase("H15", "field line without colon", bytes("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), .badRequest),
        // H16: Host.
        RefusalCase("H16", "missing Host on 1.1", bytes("GET / HTTP/1.1\r\n\r\n"), .badRequest),
        RefusalCase("H16", "two Host on 1.1", get(fields: ["Host: a", "Host: a"]), .badRequest),
        RefusalCase("H16", "two Host on 1.0", get(version: "HTTP/1.0", fields: ["Host: a", "Host: b"]), .badRequest),
        RefusalCase("H16", "Host a, b", get(fields: ["Host: a, b"]), .badRequest),
        RefusalCase("H16", "Host user@a", get(fields: ["Host: user@a"]), .badRequest),
        RefusalCase("H16", "Host a/b", get(fields: ["Host: a/b"]), .badRequest),
        RefusalCase("H16", "empty Host", get(fields: ["Host:"]), .badRequest),
        RefusalCase("H16", "whitespace-only Host", get(fields: ["Host:   "]), .badRequest),
        RefusalCase("H16", "Host with space", get(fields: ["Host: a b"]), .badRequest),
        RefusalCase("H16", "invalid Host on 1.0", get(version: "HTTP/1.0", fields: ["Host: a/b"]), .badRequest),
        // H17: versions.
        RefusalCase("H17", "HTTP/2.0", get(version: "HTTP/2.0"), .versionNotSupported),
        RefusalCase("H17", "HTTP/3.0", get(version: "HTTP/3.0"), .versionNotSupported),
        RefusalCase("H17", "HTTP/1.2", get(version: "HTTP/1.2"), .versionNotSupported),
        RefusalCase("H17", "HTTP/0.9", get(version: "HTTP/0.9"), .versionNotSupported),
        RefusalCase("H17", "http/1.1", get(version: "http/1.1"), .badRequest),
        RefusalCase("H17", "HTTP/01.1", get(version: "HTTP/01.1"), .badRequest),
        RefusalCase("H17", "HTTP/1", get(version: "HTTP/1"), .badRequest),
        RefusalCase("H17", "HTTP/1.1 with trailing char", get(version: "HTTP/1.1x"), .badRequest),
        RefusalCase("H17", "HTTP/ 1.1", bytes("GET / HTTP/ 1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H17", "missing version (HTTP/0.9 style)", bytes("GET /\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H17", "empty version after SP", bytes("GET / \r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H18", "HTTP/2 preface", bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), .versionNotSupported),
        // H19: methods.
        RefusalCase("H19", "lowercase get", bytes("get / HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented),
        RefusalCase("H19", "CONNECT", bytes("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented),
        RefusalCase("H19", "TRACE", bytes("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented),
        RefusalCase("H19", "unknown PROPFIND", bytes("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented),
        RefusalCase("H19", "invalid char in method", bytes("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H19", "non-ASCII in method", bytes("G\u{C9}T / HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H19", "empty method (leading SP)", bytes(" / HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H19", "HTAB as separator", bytes("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        // H20: request-target.
        RefusalCase("H20", "space in target", bytes("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H20", "double SP before target", bytes("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H20", "NUL in target", bytes("GET /a\u{0}b HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H20", "DEL in target", bytes("GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H20", "raw non-ASCII in target", bytes("GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest),
        RefusalCase("H20", "fragment in target", get("/a#frag"), .badRequest),
        RefusalCase("H20", "backslash in target", get("/a\\b"), .badRequest),
        RefusalCase("H20", "quote in target", get("/a\"b"), .badRequest),
        RefusalCase("H20", "bad percent-escape %zz", get("/a%zz"), .badRequest),
        RefusalCase("H20", "truncated percent-escape", get("/a%2"), .badRequest),
        RefusalCase("H20", "lone percent", get("/%"), .badRequest),
        RefusalCase("H20", "asterisk with GET", get("*"), .badRequest),
        RefusalCase("H20", "relative target", get("a/b"), .badRequest),
        RefusalCase("H20", "unsupported scheme", get("ftp://a/b"), .badRequest),
        RefusalCase("H20", "absolute-form with userinfo", get("http://user@a/b"), .badRequest),
        RefusalCase("H20", "absolute-form with empty authority", get("http:///b"), .badRequest),
        RefusalCase("H20", "scheme only", get("http://"), .badRequest),
        // H27: expectations.
        RefusalCase("H27", "Expect: foo", post(fields: ["Content-Length: 5", "Expect: foo"], body: "hello"), .expectationFailed),
        RefusalCase("H27", "Expect: 100-continue, foo", post(fields: ["Content-Length: 5", "Expect: 100-continue, foo"], body: "hello"), .expectationFailed),
        RefusalCase("H27", "two Expect fields", post(fields: ["Content-Length: 5", "Expect: 100-continue", "Expect: 100-continue"], body: "hello"), .expectationFailed),
        RefusalCase("H27", "Expect: foo on a GET", get(fields: ["Host: a", "Expect: foo"]), .expectationFailed),
        // H34: garbage.
        RefusalCase("H34", "binary garbage", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0x0D, 0x0A, 0x0D, 0x0A], .badRequest),
        RefusalCase("H34", "CRLF only exceeds leading empty lines", bytes(String(repeating: "\r\n", count: 10 * HTTPLimits().maxLeadingEmptyLines)), .badRequest),
    ]

    @Test("head syntax (H10–H20, H27, H34)", arguments: headSyntax)
    func headSyntaxIsRefused(_ c: RefusalCase) {
        expectRefused(c.raw, c.status)
    }

    /// H19: a method longer than any implemented is refused with 501 without waiting for the rest of the line.
    @Test func veryLongMethod_refusedEarlyWith501() {
        let method = String(repeating: "A", count: 100 * 1024)
        expectRefused(bytes("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented)
        // No SP, no CRLF: still refused as soon as the method is too long.
        let outcome = parse(chunks: [bytes(method)[...]])
        #expect(outcome.error?.status == .notImplemented)
    }

    // MARK: Chunked bodies

    /// H7: chunk-size = 1*HEXDIG, validated byte by byte (no sign, prefix, separator, space, or bare ";").
    @Test("H7 malformed chunk-size → 400", arguments: [
        "0x5", "+5", "-1", "5_0", " 5", "5 ", "", "5;", "5;=x", "5;a=", "5;a=\"x", "5;a=b c", "5;a\u{0}", "5;a=\"\u{0}\"",
        "\t5", "5\t", "g", "5,5", "123456789", "000000005", "ffffffff0",
    ])
    func malformedChunkSize(_ size: String) {
        expectRefused(chunkedPost("\(size)\r\nhello\r\n0\r\n\r\n"), .badRequest)
    }

    static let chunkFraming: [RefusalCase] = [
        RefusalCase("H7", "bare CR after chunk-size", chunkedPost("5\rhello\r\n0\r\n\r\n"), .badRequest),
        RefusalCase("H7", "bare LF after chunk-size", chunkedPost("5\nhello\r\n0\r\n\r\n"), .badRequest),
        RefusalCase("H8", "data longer than its size", chunkedPost("5\r\nhello!!\r\n0\r\n\r\n"), .badRequest),
        RefusalCase("H8", "data not followed by CRLF", chunkedPost("3\r\nxxx__1a\r\n0\r\n\r\n"), .badRequest),
        RefusalCase("H8", "data followed by bare LF", chunkedPost("3\r\nxxx\n0\r\n\r\n"), .badRequest),
        RefusalCase("H8", "data followed by CR X", chunkedPost("3\r\nxxx\rX0\r\n\r\n"), .badRequest),
        RefusalCase("H8", "last chunk followed by garbage line", chunkedPost("0\r\nX\r\n\r\n"), .badRequest),
        RefusalCase("H9", "trailer obs-fold", chunkedPost("0\r\nX-T: a\r\n b\r\n\r\n"), .badRequest),
        RefusalCase("H9", "trailer with NUL", chunkedPost("0\r\nX-T: a\u{0}\r\n\r\n"), .badRequest),
        RefusalCase("H9", "trailer with bare CR", chunkedPost("0\r\nX-T: a\rb\r\n\r\n"), .badRequest),
        RefusalCase("H9", "trailer ended by bare LF", chunkedPost("0\r\nX-T: a\n\r\n"), .badRequest),
    ]

    @Test("chunk framing (H7–H9)", arguments: chunkFraming)
    func chunkFramingIsRefused(_ c: RefusalCase) {
        expectRefused(c.raw, c.status)
    }

    // MARK: Errors are final

    /// RFC 9112 §6.3: after a framing error the connection is unusable; the parser keeps reporting the error
    /// and never produces a request from bytes that follow.
    @Test func errorIsSticky_laterValidRequestNotParsed() {
        var parser = RequestParser()
        parser.append(post(fields: ["Content-Length: 5", "Transfer-Encoding: chunked"], body: "0\r\n\r\n"))
        guard case .error(let first) = parser.next() else { Issue.record("expected an error"); return }
        parser.append(get())
        guard case .error(let again) = parser.next() else { Issue.record("expected the same error"); return }
        #expect(first == again)
        #expect(parser.isMidMessage)
    }

    /// H25 / http-garden #45: a valid request before an invalid one is still delivered, then the error.
    @Test func validThenInvalidPipelined_firstDeliveredThenError() {
        let outcome = parseEverySplit(get("/first") + bytes("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") + get("/never"))
        #expect(outcome.requests.map(\.path) == ["/first"])
        #expect(outcome.error?.status == .badRequest)
    }
}
