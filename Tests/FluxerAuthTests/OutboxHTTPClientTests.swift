import Testing
@testable import FluxerAuth

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
