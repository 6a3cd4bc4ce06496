@testable import HTTPServer
import Testing

/// Messages the parser must accept, and what it must make of them. Every message is also parsed split at every
/// byte position and one byte at a time (`expectAccepted`).
@Suite struct RequestParserAcceptTests {
    @Test func simpleGet() {
        let r = expectAccepted(get("/hello"))
        #expect(r.first == ParsedRequest(HTTPRequest(method: .GET, path: "/hello", headers: ["Host": "a"], host: "a")))
    }

    @Test("every implemented method", arguments: HTTPMethod.allCases)
    func implementedMethod(_ method: HTTPMethod) {
        let r = expectAccepted(bytes("\(method.rawValue) /x HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.first?.method == method)
    }

    @Test func head() {
        let r = expectAccepted(bytes("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.first?.method == .HEAD)
        #expect(r.first?.body == [])
    }

    @Test func postWithContentLength() {
        let r = expectAccepted(post("/echo", fields: ["Content-Length: 11", "Content-Type: text/plain"], body: "hello world"))
        #expect(r.first?.body == bytes("hello world"))
        #expect(r.first?.headers == ["Host: a", "Content-Length: 11", "Content-Type: text/plain"])
    }

    @Test func postWithContentLengthZero() {
        let r = expectAccepted(post(fields: ["Content-Length: 0"]))
        #expect(r.first?.body == [])
    }

    @Test func chunkedBody() {
        let r = expectAccepted(chunkedPost("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
        #expect(r.first?.body == bytes("hello world"))
    }

    @Test func chunkedBody_hexSizesUpperAndLowerCaseAndLeadingZeros() {
        let data = String(repeating: "x", count: 26)
        let r = expectAccepted(chunkedPost("1a\r\n\(data)\r\n1A\r\n\(data)\r\n0000000A\r\n0123456789\r\n0\r\n\r\n"))
        #expect(r.first?.body == bytes(data + data + "0123456789"))
    }

    @Test func chunkedBody_withExtensions() {
        let r = expectAccepted(chunkedPost(
            "5;name\r\nhello\r\n1;a=b;c=\"q \\\" x\"\r\n!\r\n0;last=1\r\n\r\n"))
        #expect(r.first?.body == bytes("hello!"))
    }

    /// H9 / RFC 9110 §6.5.1: trailer fields are validated and discarded, never merged into the header fields.
    @Test func chunkedBody_trailersDiscardedNotMerged() {
        let r = expectAccepted(chunkedPost(
            "3\r\nabc\r\n0\r\nContent-Length: 99\r\nTransfer-Encoding: gzip\r\nHost: evil\r\nAuthorization: Bearer x\r\n\r\n"))
        #expect(r.first?.body == bytes("abc"))
        #expect(r.first?.headers == ["Host: a", "Transfer-Encoding: chunked"])
        #expect(r.first?.host == "a")
    }

    @Test func transferEncoding_caseInsensitiveAndOWS() {
        expectAccepted(post(fields: ["transfer-encoding:   Chunked  "], body: "1\r\nx\r\n0\r\n\r\n"))
        expectAccepted(post(fields: ["TRANSFER-ENCODING: CHUNKED"], body: "0\r\n\r\n"))
    }

    @Test func connectionSemantics_keepAliveFlag() {
        // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 closes unless "keep-alive".
        #expect(expectAccepted(get()).first?.keepAlive == true)
        #expect(expectAccepted(get(fields: ["Host: a", "Connection: close"])).first?.keepAlive == false)
        #expect(expectAccepted(get(fields: ["Host: a", "Connection: Upgrade, CLOSE"])).first?.keepAlive == false)
        #expect(expectAccepted(get(version: "HTTP/1.0", fields: [])).first?.keepAlive == false)
        #expect(expectAccepted(get(version: "HTTP/1.0", fields: ["Connection: keep-alive"])).first?.keepAlive == true)
        #expect(expectAccepted(get(version: "HTTP/1.0", fields: ["Connection: Keep-Alive"])).first?.keepAlive == true)
        #expect(expectAccepted(get(version: "HTTP/1.0", fields: ["Connection: keep-alive, close"])).first?.keepAlive == false)
    }

    @Test func http10_withoutHost_accepted() {
        let r = expectAccepted(get(version: "HTTP/1.0", fields: []))
        #expect(r.first?.version == .http10)
        #expect(r.first?.host == nil)
    }

    /// H20 / RFC 9112 §3.2.2: absolute-form; the host comes from the URI, not the Host field.
    @Test func absoluteForm_hostFromURI() {
        let r = expectAccepted(get("http://example.com:8080/a/b?x=1", fields: ["Host: other"]))
        #expect(r.first?.host == "example.com:8080")
        #expect(r.first?.path == "/a/b")
        #expect(r.first?.query == "x=1")
        let bare = expectAccepted(get("HTTPS://Example.com"))
        #expect(bare.first?.host == "Example.com")
        #expect(bare.first?.path == "/")
        let queryOnly = expectAccepted(get("http://h?q=1"))
        #expect(queryOnly.first?.path == "/")
        #expect(queryOnly.first?.query == "q=1")
    }

    /// RFC 9112 §3.2.4: asterisk-form for OPTIONS.
    @Test func optionsAsterisk() {
        let r = expectAccepted(bytes("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.first?.method == .OPTIONS)
        #expect(r.first?.path == "*")
    }

    @Test func queryStrings() {
        let r = expectAccepted(get("/a/b?x=1&y=%20z&w=a+b"))
        #expect(r.first?.path == "/a/b")
        #expect(r.first?.query == "x=1&y=%20z&w=a+b")
        let request = HTTPRequest(method: .GET, path: "/a/b", query: r.first?.query)
        #expect(request.queryValue("y") == " z")
        #expect(request.queryValue("w") == "a b")
        #expect(expectAccepted(get("/a?")).first?.query == "")
        #expect(expectAccepted(get("/a")).first?.query == nil)
        #expect(expectAccepted(get("/a?b?c=/d")).first?.query == "b?c=/d")
    }

    @Test func percentEncodedPathKeptEncoded() {
        #expect(expectAccepted(get("/users/%41%2Fb")).first?.path == "/users/%41%2Fb")
    }

    @Test func hostForms() {
        #expect(expectAccepted(get(fields: ["Host: example.com:443"])).first?.host == "example.com:443")
        #expect(expectAccepted(get(fields: ["Host: [::1]:8080"])).first?.host == "[::1]:8080")
        #expect(expectAccepted(get(fields: ["Host: 127.0.0.1"])).first?.host == "127.0.0.1")
        #expect(expectAccepted(get(fields: ["host: lower"])).first?.host == "lower")
    }

    @Test func fieldValues_OWSTrimmedOrderAndDuplicatesKept() {
        let r = expectAccepted(get(fields: ["Host: a", "X-A: \t v 1 \t", "X-B:", "x-a: v2", "X-!#$%&'*+.^_`|~: t"]))
        #expect(r.first?.headers == ["Host: a", "X-A: v 1", "X-B: ", "x-a: v2", "X-!#$%&'*+.^_`|~: t"])
    }

    /// H23: a Content-Length shorter than what follows: the rest is the next request, never part of the body.
    @Test func contentLengthZeroThenGluedRequest_parsedAsNextRequest() {
        let r = expectAccepted(post("/first", fields: ["Content-Length: 0"]) + get("/second"), count: 2)
        #expect(r.map(\.path) == ["/first", "/second"])
        #expect(r.first?.body == [])
    }

    @Test func contentLengthBody_doesNotSwallowNextRequest() {
        let r = expectAccepted(post("/first", fields: ["Content-Length: 5"], body: "hello") + get("/second"), count: 2)
        #expect(r.first?.body == bytes("hello"))
        #expect(r.last?.path == "/second")
    }

    /// H25: pipelined requests in one buffer, one per `next()`, with exact boundaries.
    @Test func pipelined_parsedOneByOneWithExactBoundaries() {
        let first = get("/one")
        let second = post("/two", fields: ["Content-Length: 3"], body: "abc")
        let third = chunkedPost("2\r\nde\r\n0\r\nX-T: 1\r\n\r\n")
        let fourth = bytes("\r\n") + get("/four", version: "HTTP/1.0", fields: [])
        let all = first + second + third + fourth
        let r = expectAccepted(all, count: 4)
        #expect(r.map(\.path) == ["/one", "/two", "/", "/four"])
        #expect(r.map(\.body) == [[], bytes("abc"), bytes("de"), []])

        var parser = RequestParser()
        parser.append(all)
        var remaining = all.count
        for (message, path) in [(first, "/one"), (second, "/two"), (third, "/"), (fourth, "/four")] {
            guard case .request(let request) = parser.next() else { Issue.record("expected \(path)"); return }
            #expect(request.path == path)
            remaining -= message.count
            #expect(parser.bufferedByteCount == remaining)
        }
        guard case .needMore = parser.next() else { Issue.record("expected needMore"); return }
        #expect(!parser.isMidMessage)
    }

    @Test func incompleteMessages_needMore() {
        for partial in [bytes("GET / HTTP/1.1\r\nHost: a\r\n"), Array(post(fields: ["Content-Length: 5"], body: "hel")),
                        chunkedPost("5\r\nhello\r\n"), chunkedPost("0\r\n"), chunkedPost("0\r\nX-T: 1\r\n")] {
            let outcome = parseEverySplit(partial)
            #expect(outcome.requests.isEmpty && outcome.error == nil && outcome.isMidMessage, "\(outcome)")
        }
    }

    @Test func stateFlags() {
        var parser = RequestParser()
        #expect(!parser.isMidMessage && !parser.isReadingBody)
        parser.append(bytes("POST / HTTP/1.1\r\nHost: a\r\n"))
        guard case .needMore = parser.next() else { Issue.record("needMore"); return }
        #expect(parser.isMidMessage && !parser.isReadingBody)
        parser.append(bytes("Content-Length: 2\r\n\r\nx"))
        guard case .needMore = parser.next() else { Issue.record("needMore"); return }
        #expect(parser.isMidMessage && parser.isReadingBody)
        parser.append(bytes("y"))
        guard case .request(let r) = parser.next() else { Issue.record("request"); return }
        #expect(r.body == bytes("xy"))
        #expect(!parser.isMidMessage && !parser.isReadingBody)
    }

    // MARK: Expect: 100-continue (RFC 9110 §10.1.1)

    @Test func expectContinue_headOnly_continueThenRequest() {
        for message in [post(fields: ["Content-Length: 5", "Expect: 100-continue"]),
                        post(fields: ["Transfer-Encoding: chunked", "Expect: 100-Continue"])] {
            var parser = RequestParser()
            parser.append(message)
            guard case .continueExpected = parser.next() else { Issue.record("expected continueExpected"); continue }
            guard case .needMore = parser.next() else { Issue.record("continue is sent once"); continue }
            let isChunked = message.count > 0 && String(decoding: message, as: UTF8.self).contains("chunked")
            parser.append(bytes(isChunked ? "5\r\nhello\r\n0\r\n\r\n" : "hello"))
            guard case .request(let r) = parser.next() else { Issue.record("expected request"); continue }
            #expect(r.body == bytes("hello"))
        }
    }

    @Test func expectContinue_bodyAlreadySent_noContinue() {
        let outcome = parse(chunks: [post(fields: ["Content-Length: 5", "Expect: 100-continue"], body: "hello")[...]])
        #expect(outcome.continues == 0)
        #expect(outcome.requests.first?.body == bytes("hello"))
        expectAccepted(post(fields: ["Content-Length: 5", "Expect: 100-continue"], body: "hello"))
    }

    @Test func expectContinue_noBodyOrHTTP10_noContinue() {
        for message in [post(fields: ["Content-Length: 0", "Expect: 100-continue"]),
                        get(fields: ["Host: a", "Expect: 100-continue"]),
                        post(fields: ["Content-Length: 5", "Expect: 100-continue"], version: "HTTP/1.0")] {
            var parser = RequestParser()
            parser.append(message)
            switch parser.next() {
            case .request, .needMore: break
            default: Issue.record("no 100 Continue for \(String(decoding: message, as: UTF8.self).debugDescription)")
            }
        }
    }
}
