import Testing
@testable import FluxerAPI
@testable import FluxerApp

@Suite struct OutboxHTTPClientTests {
    private func parse(_ text: String, atEOF: Bool = false) -> HTTPClientResponseParser.Outcome {
        HTTPClientResponseParser.parse(Array(text.utf8), atEOF: atEOF)
    }

    private func body(_ outcome: HTTPClientResponseParser.Outcome) -> String? {
        if case .complete(let response) = outcome { return String(decoding: response.body, as: UTF8.self) }
        return nil
    }

    @Test func url_parsing() throws {
        let url = try #require(HTTPClientURL("https://Hooks.example.com/a/b?x=1#frag"))
        #expect(url.isTLS && url.host == "Hooks.example.com" && url.port == 443 && url.target == "/a/b?x=1")
        #expect(url.hostHeader == "Hooks.example.com")
        let v6 = try #require(HTTPClientURL("http://[::1]:8080"))
        #expect(v6.host == "::1" && v6.port == 8080 && v6.target == "/" && v6.hostHeader == "[::1]:8080" && v6.isIPLiteral)
        #expect(HTTPClientURL("http://127.0.0.1:9?q")?.target == "/?q")
        for bad in ["", "ftp://x", "http://", "http://a b/", "http://u@h/", "http://h:0/", "http://h:65536/", "http://[::1/",
                    "https://h/" + String(repeating: "a", count: 2048)] {
            #expect(HTTPClientURL(bad) == nil, "accepted \(bad)")
        }
    }

    @Test func response_contentLength() {
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel") == .incomplete)
        #expect(body(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")) == "hello")
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", atEOF: true) == .invalid("truncated body"))
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == .invalid("bad Content-Length"))
    }

    @Test func response_chunked_eof_interim() {
        #expect(body(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n")) == "hello world")
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel") == .incomplete)
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == .invalid("bad chunk size"))
        #expect(parse("HTTP/1.0 200 OK\r\n\r\nuntil close") == .incomplete)
        #expect(body(parse("HTTP/1.0 200 OK\r\n\r\nuntil close", atEOF: true)) == "until close")
        #expect(body(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")) == "")
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n") == .invalid("body too large"))
        #expect(parse("HTTP/2 200\r\n\r\n") == .invalid("bad status line"))
        #expect(parse("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n") == .invalid("bad header line"))
        if case .complete(let r) = parse("HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n") {
            #expect(r.status == 503 && r.header("retry-after") == "1")
        } else {
            Issue.record("expected complete")
        }
    }
}

/// Issue 12, must-fix 1: a hostile upstream (IdP, webhook receiver, anyone on an `http://` path) sends chunk
/// sizes that `Int(_:radix:)` would have accepted with a sign, or that do not fit; each is refused, none traps.
@Suite struct HostileChunkSizeTests {
    private func parse(_ sizeLine: String, then rest: String = "") -> HTTPClientResponseParser.Outcome {
        HTTPClientResponseParser.parse(Array(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\n" + rest).utf8),
                                       atEOF: false)
    }

    @Test func negativeChunkSize_refusedNotTrapped() {
        for line in ["-2", "-7fffffff", "-0", "+5", "-1;ext=1", " -2"] {
            #expect(parse(line, then: "hello\r\n0\r\n\r\n") == .invalid("bad chunk size"), "accepted \(line)")
        }
    }

    @Test func oversizedChunkSize_refused() {
        // Nine digits: past the digit cap; eight digits: parsed, then past the body cap.
        #expect(parse("100000000") == .invalid("bad chunk size"))
        #expect(parse("000000001", then: "x\r\n0\r\n\r\n") == .invalid("bad chunk size"))
        #expect(parse("ffffffff") == .invalid("body too large"))
        #expect(parse("10001") == .invalid("body too large"))
        #expect(parse(String(repeating: "f", count: 40)) == .invalid("bad chunk size"))
    }

    @Test func nonHexChunkSize_refused() {
        for line in ["", "g", "0x10", "1 2", "5 x", "１", "5\u{0}", "½"] {
            #expect(parse(line, then: "hello\r\n0\r\n\r\n") == .invalid("bad chunk size"), "accepted \(line.debugDescription)")
        }
    }

    @Test func chunkSizeForms_thatRFC9112Allows_accepted() {
        #expect(HTTPClientResponseParser.chunkSize(ArraySlice("5".utf8)) == 5)
        #expect(HTTPClientResponseParser.chunkSize(ArraySlice("Ff".utf8)) == 255)
        #expect(HTTPClientResponseParser.chunkSize(ArraySlice("00000005".utf8)) == 5)
        #expect(HTTPClientResponseParser.chunkSize(ArraySlice("5 ;a=b".utf8)) == 5)
        #expect(HTTPClientResponseParser.chunkSize(ArraySlice("5\t".utf8)) == 5)
        #expect(HTTPClientResponseParser.chunkSize(ArraySlice("5;".utf8)) == 5)
    }
}
