#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPServer
import Testing

/// Every test that starts a server over real loopback sockets. Serialized: several of them measure time on a
/// two-core machine, and running them side by side would measure the scheduler instead.
@Suite(.serialized) struct ServerTests {}

extension ServerTests {
    /// Connection semantics, framing of responses and routing, over real sockets.
    @Suite struct Connections {
        @Test func keepAlive_twoRequestsOnOneConnection() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                for _ in 0..<2 {
                    try client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                    let r = try client.readResponse()
                    #expect(r.status == 200)
                    #expect(r.text == "hello")
                    #expect(r.header("Connection") == nil)
                }
            }
        }

        /// H26 / RFC 9112 §9.3: HTTP/1.0 closes unless it asks for keep-alive.
        @Test func http10_closesByDefault() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("GET /hello HTTP/1.0\r\n\r\n")
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.header("Connection") == "close")
                #expect(client.waitForEnd() == .eof)
            }
        }

        @Test func http10_keepAliveWhenAsked() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                for _ in 0..<2 {
                    try client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    let r = try client.readResponse()
                    #expect(r.status == 200)
                    #expect(r.header("Connection") == "keep-alive")
                }
                try client.send("GET /hello HTTP/1.0\r\n\r\n")
                #expect(try client.readResponse().header("Connection") == "close")
                #expect(client.waitForEnd() == .eof)
            }
        }

        /// H26: `Connection: close` → the response says so, then FIN.
        @Test func connectionClose_responseSaysCloseThenEOF() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.header("Connection") == "close")
                #expect(client.waitForEnd() == .eof, "the pipelined request after close is not answered")
            }
        }

        /// H25 / RFC 9112 §9.3.2: three pipelined requests in one write are answered in order, even when the
        /// first handler is the slowest.
        @Test func pipelining_threeRequestsInOneWrite_answeredInOrder() throws {
            try withServer(workers: 4) { _, port in
                let client = try RawClient(port: port)
                try client.send(
                    "GET /sleep/300 HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "GET /sleep/0 HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "GET /sleep/100 HTTP/1.1\r\nHost: a\r\n\r\n")
                let bodies = try (0..<3).map { _ in try client.readResponse().text }
                #expect(bodies == ["slept 300", "slept 0", "slept 100"])
            }
        }

        /// H25: a failing handler in the middle of a pipeline does not drop the request after it.
        @Test func pipelining_handlerErrorInMiddle_doesNotDropNext() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send(
                    "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /boom HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try (0..<4).map { _ in try client.readResponse().status } == [200, 500, 404, 200])
            }
        }

        /// H23: `Content-Length: 0` with a request glued on: two requests, two responses.
        @Test func contentLengthZeroGluedRequest_isNextRequest() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /whoami HTTP/1.1\r\nHost: a\r\n\r\n")
                let first = try client.readResponse()
                #expect(first.status == 200 && first.body.isEmpty)
                #expect(try client.readResponse().text == "GET /whoami host=a query=-")
            }
        }

        @Test func chunkedUpload_echoed() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                try client.send("5;ext=1\r\nhello\r\n")
                try client.send("6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.text == "hello world")
                #expect(r.header("Content-Length") == "11")
            }
        }

        /// H27 / RFC 9110 §10.1.1: `100 Continue` before the final response, and only after the head.
        @Test func expectContinue_interimThenFinal() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readResponse()
                #expect(interim.statusLine == "HTTP/1.1 100 Continue")
                #expect(interim.headers.isEmpty)
                try client.send("hello")
                let final = try client.readResponse()
                #expect(final.status == 200)
                #expect(final.text == "hello")
            }
        }

        /// H27: unknown expectation → 417 and close.
        @Test func expectUnknown_417() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: foo\r\n\r\nhello")
                #expect(try client.readResponse().status == 417)
                #expect(client.isClosedByPeer())
            }
        }

        /// H32: HEAD has the GET's Content-Length and no body (the next response on the connection proves it).
        @Test func head_contentLengthButNoBody() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /items/7 HTTP/1.1\r\nHost: a\r\n\r\n")
                let head = try client.readResponse(head: true)
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == "5")
                let next = try client.readResponse()
                #expect(next.statusLine == "HTTP/1.1 200 OK")
                #expect(next.text == "{\"id\":\"7\"}")
            }
        }

        /// H32 / RFC 9110 §8.6: 204 has neither Content-Length nor a body.
        @Test func noContent_hasNoContentLength() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("GET /empty HTTP/1.1\r\nHost: a\r\n\r\nDELETE /items/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                for _ in 0..<2 {
                    let r = try client.readResponse()
                    #expect(r.status == 204)
                    #expect(r.header("Content-Length") == nil)
                    #expect(r.header("Transfer-Encoding") == nil)
                }
                #expect(try client.readResponse().text == "hello")
            }
        }

        /// H32: every response carries Date, Content-Length and Content-Type, never Transfer-Encoding.
        @Test func everyResponse_hasDateContentLengthContentType() throws {
            try withServer { _, port in
                let requests = [
                    "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n",
                    "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "GET /boom HTTP/1.1\r\nHost: a\r\n\r\n",
                    "GET /teapot HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\n\r\n", "GET /items/1 HTTP/1.0\r\n\r\n",
                    "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", "BREW / HTTP/1.1\r\nHost: a\r\n\r\n",
                ]
                for request in requests {
                    let r = try roundTrip(request, port: port)
                    #expect(r.count("Date") == 1, "\(request.debugDescription): \(r)")
                    #expect(r.header("Date").map { $0.hasSuffix(" GMT") && $0.utf8.count == 29 } == true, "\(r)")
                    #expect(r.count("Content-Length") == 1, "\(r)")
                    #expect(r.count("Content-Type") == 1, "\(r)")
                    #expect(r.header("Transfer-Encoding") == nil)
                    #expect(Int(r.header("Content-Length") ?? "") == r.body.count)
                }
            }
        }

        /// RFC 9112 §9.6 / limits: the last response allowed on a connection says `Connection: close`.
        @Test func maxRequestsPerConnection_lastResponseCloses() throws {
            var limits = HTTPLimits()
            limits.maxRequestsPerConnection = 2
            try withServer(limits: limits) { _, port in
                let client = try RawClient(port: port)
                try client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().header("Connection") == nil)
                try client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().header("Connection") == "close")
                #expect(client.waitForEnd() == .eof)
            }
        }

        /// A client that half-closes after its request still gets the response, then EOF.
        @Test func halfClosedClient_stillAnswered() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("GET /sleep/50 HTTP/1.1\r\nHost: a\r\n\r\n")
                client.shutdownWrite()
                #expect(try client.readResponse().text == "slept 50")
                #expect(client.waitForEnd() == .eof)
            }
        }

        @Test func requestSentOneBytePerWrite_works() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.sendSlowly(Array("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc".utf8), pauseMicroseconds: 1_000)
                let r = try client.readResponse()
                #expect(r.status == 200)
                #expect(r.text == "abc")
                try client.sendSlowly(Array("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n".utf8), pauseMicroseconds: 500)
                #expect(try client.readResponse().text == "hello")
            }
        }

        /// H33 / RFC 9112 §11.1: a reflected CR LF never reaches the wire as a header break.
        @Test func reflectedCRLF_cannotInjectHeader() throws {
            try withServer { _, port in
                let r = try roundTrip("GET /reflect?v=a%0d%0aX-Injected:%20yes%0d%0a HTTP/1.1\r\nHost: a\r\n\r\n", port: port)
                #expect(r.status == 200)
                #expect(r.header("X-Injected") == nil)
                #expect(r.header("X-Reflect") == "aX-Injected: yes")
            }
        }

        @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback on this machine"))
        func ipv6Loopback_listenAndServe() throws {
            try withServer(host: "::1") { _, port in
                let r = try roundTrip("GET /whoami HTTP/1.1\r\nHost: [::1]\r\n\r\n", port: port, host: "::1")
                #expect(r.status == 200)
                #expect(r.text == "GET /whoami host=[::1] query=-")
            }
        }
    }

    /// Routing through the server: version prefixes, 404, 405, parameters and error rendering.
    @Suite struct Routing {
        @Test func versionPrefixes_allRoute() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                for path in ["/api/v1/items/9", "/v1/items/9", "/items/9"] {
                    try client.send("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n")
                    let r = try client.readResponse()
                    #expect(r.status == 200, "\(path)")
                    #expect(r.text == "{\"id\":\"9\"}")
                }
            }
        }

        @Test func unknownPath_404JSON() throws {
            try withServer { _, port in
                for path in ["/nowhere", "/items", "/items/", "/items/1/x", "/api/v2/items/1", "/api/v1x/items/1"] {
                    let r = try roundTrip("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n", port: port)
                    #expect(r.status == 404, "\(path)")
                    #expect(r.header("Content-Type") == "application/json")
                    #expect(r.text.hasPrefix("{\"code\":\"NOT_FOUND\","), "\(r.text)")
                }
            }
        }

        /// H19 / RFC 9110 §15.5.6: a known method on a path without it → 405 with `Allow`.
        @Test func wrongMethod_405WithAllow() throws {
            try withServer { _, port in
                let r = try roundTrip("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", port: port)
                #expect(r.status == 405)
                #expect(r.header("Allow") == "GET, HEAD")
                #expect(r.text.hasPrefix("{\"code\":\"METHOD_NOT_ALLOWED\","))
                let items = try roundTrip("PUT /items/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", port: port)
                #expect(items.status == 405)
                let allowed = Set((items.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters() })
                #expect(allowed == ["GET", "HEAD", "DELETE"])
            }
        }

        @Test func routeParameters_percentDecoded() throws {
            try withServer { _, port in
                let r = try roundTrip("GET /items/a%20b%2Fc%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n", port: port)
                #expect(r.status == 200)
                #expect(r.text == "{\"id\":\"a b/cé\"}")
            }
        }

        /// Rule 5: anything but an HTTPResponseError is a bare 500 with no detail.
        @Test func handlerThrowingPlainError_bare500() throws {
            try withServer { _, port in
                let r = try roundTrip("GET /boom HTTP/1.1\r\nHost: a\r\n\r\n", port: port)
                #expect(r.status == 500)
                #expect(r.text == "{\"code\":\"INTERNAL_SERVER_ERROR\",\"message\":\"Internal server error.\"}")
                #expect(!r.text.contains("hunter2") && !r.text.contains("SecretFailure"))
                let teapot = try roundTrip("GET /teapot HTTP/1.1\r\nHost: a\r\n\r\n", port: port)
                #expect(teapot.status == 418)
                #expect(teapot.text == "{\"code\":\"TEAPOT\",\"message\":\"Short and stout.\"}")
            }
        }

        @Test func absoluteFormAndQuery_reachHandler() throws {
            try withServer { _, port in
                let r = try roundTrip("GET http://example.com/v1/whoami?x=1 HTTP/1.1\r\nHost: other\r\n\r\n", port: port)
                #expect(r.text == "GET /v1/whoami host=example.com query=x=1")
            }
        }
    }
}
