#if canImport(Glibc)
import Glibc
#endif
import HTTPClient
import HTTPServer
import Synchronization
import Testing

/// Every test that talks to a real loopback server. Serialized: several measure time on a two-core machine.
@Suite(.serialized) struct LoopbackTests {}

extension LoopbackTests {
    /// Ordinary exchanges with the repo's HTTPServer.
    @Suite struct Exchanges {
        @Test func get_returnsStatusHeadersAndBody() throws {
            try withHTTPServer { port in
                let response = try fetch("http://127.0.0.1:\(port)/hello").get()
                #expect(response.status == 200)
                #expect(response.text == "hello")
                #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
                #expect(response.header("CONTENT-LENGTH") == "5")
                #expect(response.header("X-Missing") == nil)
            }
        }

        @Test func repeatedHeaders_keptInOrder() throws {
            try withHTTPServer { port in
                let response = try fetch("http://127.0.0.1:\(port)/multi").get()
                #expect(response.headers(named: "X-DUP") == ["1", "2"])
            }
        }

        @Test func post_sendsBodyBytesExactly() throws {
            try withHTTPServer { port in
                let body: [UInt8] = [0, 1, 2, 0xFF, 0, 13, 10] + Array("tail".utf8)
                let response = try fetch("http://127.0.0.1:\(port)/echo", method: "POST",
                                         headers: [("Content-Type", "application/octet-stream")], body: body).get()
                #expect(response.status == 200)
                #expect(response.header("X-Method") == "POST")
                #expect(response.body == body)
            }
        }

        @Test(arguments: ["PUT", "PATCH", "DELETE"])
        func otherMethods_reachServer(method: String) throws {
            try withHTTPServer { port in
                let body: [UInt8] = method == "DELETE" ? [] : Array("x=1".utf8)
                let response = try fetch("http://127.0.0.1:\(port)/echo", method: method, body: body).get()
                #expect(response.header("X-Method") == method)
                #expect(response.body == body)
            }
        }

        @Test func head_returnsHeadersWithoutBody() throws {
            try withHTTPServer { port in
                let response = try fetch("http://127.0.0.1:\(port)/hello", method: "HEAD").get()
                #expect(response.status == 200)
                #expect(response.body.isEmpty)
                #expect(response.header("Content-Length") == "5")
            }
        }

        /// What reaches the server: the caller's fields, an empty value kept, no Expect (even for a body libcurl
        /// would otherwise announce), no Content-Type the caller did not set, no proxy or cookie headers.
        @Test func requestHeaders_asGivenAndNothingMore() throws {
            try withHTTPServer { port in
                let body = [UInt8](repeating: 0x7A, count: 200_000)
                let response = try fetch("http://127.0.0.1:\(port)/headers", method: "POST",
                                         headers: [("X-Custom", "v1"), ("X-Empty", ""), ("Accept", "application/json")],
                                         body: body).get()
                let lines = Set(response.text.split(separator: "\n").map(String.init))
                #expect(lines.contains("x-custom: v1"))
                #expect(lines.contains("x-empty: "))
                #expect(lines.contains("accept: application/json"))
                #expect(lines.contains("content-length: 200000"))
                #expect(lines.contains("host: 127.0.0.1:\(port)"))
                #expect(!lines.contains { $0.hasPrefix("expect:") || $0.hasPrefix("content-type:") || $0.hasPrefix("cookie:")
                    || $0.hasPrefix("proxy-") || $0.hasPrefix("accept-encoding:") })
            }
        }

        /// RFC 9110 §15.4: the client returns a 3xx and follows nothing.
        @Test func redirect_returnedNotFollowed() throws {
            try withHTTPServer { port in
                let response = try fetch("http://127.0.0.1:\(port)/redirect").get()
                #expect(response.status == 302)
                #expect(response.header("Location") == "/hello")
                #expect(response.text == "moved")
            }
        }

        @Test(arguments: [204, 400, 404, 500, 503])
        func errorStatuses_areResponsesNotErrors(status: Int) throws {
            try withHTTPServer { port in
                #expect(fetch("http://127.0.0.1:\(port)/status/\(status)").response?.status == status)
            }
        }

        @Test func ipv6Loopback_literal() throws {
            guard hasIPv6Loopback else { return }
            try withHTTPServer(host: "::1") { port in
                #expect(fetch("http://[::1]:\(port)/hello").response?.text == "hello")
            }
        }

        /// One client, many threads: each call has its own handle.
        @Test func concurrentSends_fromManyThreads() throws {
            try withHTTPServer { port in
                let client = HTTPClient(policy: loopbackPolicy())
                let successes = Atomic<Int>(0)
                let threads = (0..<6).map { index in
                    OSThread(name: "client-\(index)") {
                        for _ in 0..<5 {
                            if let response = try? client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hello")),
                               response.text == "hello" {
                                successes.add(1, ordering: .relaxed)
                            }
                        }
                    }
                }
                threads.forEach { $0.join() }
                #expect(successes.load(ordering: .relaxed) == 30)
            }
        }

        /// maxResponseBytes with a declared Content-Length: at the limit, then one over (refused from the header).
        @Test func contentLengthBody_atLimitAndOver() throws {
            try withHTTPServer { port in
                let policy = loopbackPolicy(maxResponseBytes: 4096)
                #expect(fetch("http://127.0.0.1:\(port)/bytes/4096", policy: policy).response?.body.count == 4096)
                #expect(fetch("http://127.0.0.1:\(port)/bytes/4097", policy: policy).failure == .responseTooLarge)
            }
        }

        @Test func defaultLimit_oneMebibyte() throws {
            try withHTTPServer { port in
                #expect(fetch("http://127.0.0.1:\(port)/bytes/\(1 << 20)").response?.body.count == 1 << 20)
                #expect(fetch("http://127.0.0.1:\(port)/bytes/\((1 << 20) + 1)").failure == .responseTooLarge)
            }
        }

        @Test func invalidRequests_failBeforeConnecting() {
            #expect(fetch("http://127.0.0.1:1/", method: "BAD METHOD").failure == .invalidMethod)
            #expect(fetch("http://127.0.0.1:1/", headers: [("X", "a\r\nb: c")]).failure == .invalidHeader)
            #expect(fetch("http://127.0.0.1:1/", body: [1]).failure == .bodyNotAllowed)
            #expect(fetch("not a url").failure == .invalidURL)
            #expect(fetch("ftp://127.0.0.1/").failure == .schemeNotAllowed)
            #expect(fetch("https://user:secret@127.0.0.1/").failure == .invalidURL)
        }
    }
}
