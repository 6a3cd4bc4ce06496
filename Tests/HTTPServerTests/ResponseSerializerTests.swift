@testable import HTTPServer
import Testing
import FluxerJSON

/// H32 / H33: what goes on the wire for a response.
@Suite struct ResponseSerializerTests {
    static let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

    func wire(_ response: HTTPResponse, head: Bool = false, closing: Bool = false, version: HTTPVersion = .http11) -> String {
        var out: [UInt8] = []
        ResponseSerializer.write(response, to: &out, date: Self.date, requestID: "r1", isHead: head, closing: closing, version: version)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func textResponse_exactBytes() {
        #expect(wire(.text(.ok, "hi")) == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\nX-Request-Id: r1\r\n\r\nhi")
    }

    @Test func head_keepsContentLengthDropsBody() {
        let w = wire(.text(.ok, "hello"), head: true)
        #expect(w.contains("Content-Length: 5\r\n"))
        #expect(w.hasSuffix("\r\n\r\n"))
    }

    @Test("no Content-Length or body for 1xx, 204, 304", arguments: [100, 204, 304])
    func bodilessStatuses(_ code: Int) {
        let w = wire(HTTPResponse(status: HTTPStatus(code), headers: ["Content-Type": "text/plain"], body: Array("x".utf8)))
        #expect(!w.contains("Content-Length"))
        #expect(w.hasSuffix("\r\n\r\n"))
    }

    @Test func serverOwnedHeadersFromHandlerDropped() {
        let w = wire(HTTPResponse(status: .ok, headers: [
            "Content-Length": "999", "Transfer-Encoding": "chunked", "Connection": "keep-alive", "Date": "x", "Keep-Alive": "1",
        ], body: Array("ab".utf8)))
        #expect(!w.contains("999") && !w.contains("chunked") && !w.contains("Date: x") && !w.contains("Keep-Alive"))
        #expect(w.contains("Content-Length: 2\r\n"))
        #expect(w.contains("Content-Type: application/octet-stream\r\n"))
    }

    @Test func connectionHeader_closeOrHTTP10KeepAlive() {
        #expect(wire(.text(.ok, "x"), closing: true).contains("Connection: close\r\n"))
        #expect(!wire(.text(.ok, "x")).contains("Connection"))
        #expect(wire(.text(.ok, "x"), version: .http10).contains("Connection: keep-alive\r\n"))
    }

    /// H33 / RFC 9112 §11.1: CR, LF and NUL never reach the wire from a header value or name.
    @Test func headerInjection_sanitized() {
        var headers = HTTPHeaders()
        headers.add("Location", "/cb?state=a\r\nSet-Cookie: evil=1")
        headers.add("X-\r\nInjected", "v\u{0}")
        let w = wire(HTTPResponse(status: .found, headers: headers))
        #expect(w.contains("Location: /cb?state=aSet-Cookie: evil=1\r\n"))
        #expect(w.contains("X-Injected: v\r\n"))
        #expect(w.crlfLines.filter { $0.hasPrefix("Set-Cookie") }.isEmpty)
    }

    @Test func largeContentLength_decimal() {
        let w = wire(HTTPResponse(status: .ok, body: [UInt8](repeating: 0x61, count: 1_234_567)))
        #expect(w.contains("Content-Length: 1234567\r\n"))
    }

    @Test("Content-Length in decimal at every width", arguments: [0, 1, 9, 10, 99, 100, 4_096, 65_536])
    func contentLength_everyWidth(_ length: Int) {
        let w = wire(HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: [UInt8](repeating: 0x61, count: length)))
        #expect(w.contains("\r\nContent-Length: \(length)\r\n"))
        #expect(w.hasSuffix("\r\n\r\n" + String(repeating: "a", count: length)))
    }

    /// The head is built in one scratch buffer sized from the fields: a head far larger than any stack buffer, many
    /// fields and long values, comes out whole and in order, and what follows it in `out` (a pipelined response
    /// already queued) is kept.
    @Test func largeHead_wholeAndInOrder_afterQueuedOutput() {
        var headers = HTTPHeaders()
        for i in 0..<200 { headers.add("X-Field-\(i)", String(repeating: "v", count: i * 7)) }
        headers.add("Content-Type", "text/plain")
        var out = Array("earlier".utf8)
        ResponseSerializer.write(HTTPResponse(status: HTTPStatus(299), headers: headers, body: Array("body".utf8)), to: &out,
                                 date: Self.date, requestID: "abc", isHead: false, closing: true, version: .http11)
        let w = String(decoding: out, as: UTF8.self)
        #expect(w.hasPrefix("earlierHTTP/1.1 299 "))
        var expected = ""
        for i in 0..<200 { expected += "X-Field-\(i): " + String(repeating: "v", count: i * 7) + "\r\n" }
        #expect(w.contains("\r\n" + expected + "Content-Type: text/plain\r\nContent-Length: 4\r\nX-Request-Id: abc\r\nConnection: close\r\n\r\nbody"))
        #expect(w.hasSuffix("\r\n\r\nbody"))
    }

    @Test func serverOwnedNames_anyCase_dropped_othersOfSameLengthKept() {
        let w = wire(HTTPResponse(status: .ok, headers: [
            "DATE": "x", "CoNnEcTiOn": "close", "content-LENGTH": "7", "X-Da": "kept4", "X-Connect1": "kept10",
        ], body: Array("ab".utf8)))
        #expect(!w.contains("DATE") && !w.contains("CoNnEcTiOn") && !w.contains("content-LENGTH"))
        #expect(w.contains("X-Da: kept4\r\n") && w.contains("X-Connect1: kept10\r\n"))
        #expect(!w.contains("Connection: close"))
    }

    @Test func jsonQuote_escapesControlAndSeparators() {
        #expect(JSONText.quote("a\"b\\c\n\u{1}\u{2028}") == "\"a\\\"b\\\\c\\n\\u0001\\u2028\"")
    }
}

extension String {
    /// The lines of a CRLF-delimited text (a lone CR or LF stays inside its line).
    var crlfLines: [String] {
        var parts: [String] = []
        var current: [UInt8] = []
        var bytes = Array(utf8)[...]
        while let b = bytes.popFirst() {
            if b == 13, bytes.first == 10 {
                bytes.removeFirst()
                parts.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(b)
            }
        }
        parts.append(String(decoding: current, as: UTF8.self))
        return parts
    }
}
