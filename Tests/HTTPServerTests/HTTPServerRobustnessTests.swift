#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPServer
import Testing

extension ServerTests {
    /// Timeouts, oversize input, framing errors, connection caps, concurrency and shutdown.
    @Suite struct Robustness {
        /// H28 / RFC 9110 §15.5.9: a head not complete within headTimeoutMilliseconds → 408, then close.
        @Test func slowHead_408ThenClose() throws {
            let limits = shortTimeouts()
            try withServer(limits: limits) { _, port in
                let client = try RawClient(port: port)
                let started = monotonicMilliseconds()
                try client.send("GET /hello HTTP/1.1\r\nHost: a\r\n")
                let r = try client.readResponse()
                let elapsed = monotonicMilliseconds() - started
                #expect(r.status == 408)
                #expect(r.header("Connection") == "close")
                #expect(elapsed >= limits.headTimeoutMilliseconds - 50, "\(elapsed) ms")
                #expect(elapsed < limits.headTimeoutMilliseconds + 1_500, "\(elapsed) ms")
                #expect(client.isClosedByPeer())
            }
        }

        /// H28: trickling bytes does not extend the head deadline (it runs from the first byte).
        @Test func tricklingHead_stillTimesOut() throws {
            let limits = shortTimeouts()
            try withServer(limits: limits) { _, port in
                let client = try RawClient(port: port)
                let started = monotonicMilliseconds()
                for b in "GET /hello HTTP/1.1\r\nHost: a\r\n".utf8 {
                    try? client.send([b])
                    usleep(60_000)
                    if monotonicMilliseconds() - started > limits.headTimeoutMilliseconds + 300 { break }
                }
                #expect(try client.readResponse().status == 408)
                #expect(client.isClosedByPeer())
            }
        }

        /// A connection that never sends a byte is closed silently at the head timeout.
        @Test func silentConnection_closedWithoutResponse() throws {
            try withServer(limits: shortTimeouts()) { _, port in
                let client = try RawClient(port: port, timeoutMilliseconds: 3_000)
                #expect(client.waitForEnd() == .eof)
            }
        }

        /// H24 / H29: a body that stops arriving → 408 after bodyIdleTimeoutMilliseconds, then close.
        @Test func bodyStall_408ThenClose() throws {
            let limits = shortTimeouts(head: 5_000, body: 500)
            try withServer(limits: limits) { _, port in
                let client = try RawClient(port: port)
                let started = monotonicMilliseconds()
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
                let r = try client.readResponse()
                let elapsed = monotonicMilliseconds() - started
                #expect(r.status == 408)
                #expect(elapsed >= limits.bodyIdleTimeoutMilliseconds - 50, "\(elapsed) ms")
                #expect(elapsed < limits.headTimeoutMilliseconds, "the body timeout, not the head one: \(elapsed) ms")
                #expect(client.isClosedByPeer())
            }
        }

        @Test func chunkedBodyStall_408() throws {
            try withServer(limits: shortTimeouts(head: 5_000, body: 500)) { _, port in
                let client = try RawClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
                #expect(try client.readResponse().status == 408)
                #expect(client.isClosedByPeer())
            }
        }

        /// H21 / H22: oversize input is answered, the connection closed, and a new connection served.
        @Test("oversize input answered then closed (H21, H22)", arguments: [
            ("long URL", 414), ("many headers", 431), ("big header value", 431), ("big Content-Length, no body", 413),
            ("big chunked body", 413),
        ])
        func oversizeInput_answeredClosedThenServerStillServes(_ kind: String, _ status: Int) throws {
            let limits = HTTPLimits()
            let request: String
            switch kind {
            case "long URL":
                request = "GET /" + String(repeating: "a", count: limits.maxRequestLineBytes) + " HTTP/1.1\r\nHost: a\r\n\r\n"
            case "many headers":
                request = "GET / HTTP/1.1\r\nHost: a\r\n" + (0..<limits.maxHeaderCount).map { "X-\($0): v\r\n" }.joined() + "\r\n"
            case "big header value":
                request = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: limits.maxHeaderBytes) + "\r\n\r\n"
            case "big Content-Length, no body":
                request = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \(limits.maxBodyBytes + 1)\r\n\r\n"
            default:
                request = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + String(limits.maxBodyBytes + 1, radix: 16) + "\r\n"
            }
            try withServer(limits: limits) { _, port in
                let client = try RawClient(port: port)
                try client.send(request)
                let r = try client.readResponse()
                #expect(r.status == status)
                #expect(r.header("Connection") == "close")
                #expect(client.isClosedByPeer())
                #expect(try roundTrip("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", port: port).text == "hello")
            }
        }

        /// H21: 100 KB URL sent in full: answered 414 (not reset) while the client is still writing.
        @Test func hugeURL_414NotReset() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("GET /" + String(repeating: "a", count: 100 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().status == 414)
                #expect(client.isClosedByPeer())
            }
        }

        /// RFC 9112 §6.3: after any framing error the server answers and closes; what follows is never answered.
        @Test("framing errors close the connection", arguments: [
            ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!!\r\n0\r\n\r\n", 400),
            ("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("GET / HTTP/1.1\nHost: a\n\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("\u{16}\u{03}\u{01}garbage\r\n\r\n", 400),
        ])
        func framingError_answeredThenClosed(_ request: String, _ status: Int) throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send(request + "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                let r = try client.readResponse()
                #expect(r.status == status)
                #expect(r.header("Connection") == "close")
                #expect(r.header("Content-Type") == "application/json")
                #expect(client.waitForEnd() == .eof, "nothing after the error response")
            }
        }

        /// H34: empty connections and CRLF-only input do not disturb the server.
        @Test func emptyAndCRLFOnlyConnections_noHarm() throws {
            try withServer(limits: shortTimeouts()) { _, port in
                do { _ = try RawClient(port: port) }
                let crlf = try RawClient(port: port)
                try crlf.send("\r\n\r\n")
                crlf.shutdownWrite()
                #expect(crlf.isClosedByPeer())
                #expect(try roundTrip("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", port: port).status == 200)
            }
        }

        /// 100 concurrent connections, each with a request, all answered.
        @Test func hundredConcurrentConnections_allSucceed() throws {
            try withServer(workers: 8) { _, port in
                let results = onThreads(100) { i -> Int in
                    do {
                        let client = try RawClient(port: port, timeoutMilliseconds: 10_000)
                        try client.send("GET /items/\(i) HTTP/1.1\r\nHost: a\r\n\r\n")
                        let r = try client.readResponse()
                        return r.status == 200 && r.text == "{\"id\":\"\(i)\"}" ? 1 : 0
                    } catch {
                        return 0
                    }
                }
                #expect(results.reduce(0, +) == 100)
            }
        }

        /// A handler sleeping 2 s blocks only its own connection: 20 others are answered well under 1 s.
        @Test func slowHandler_doesNotBlockOtherConnections() throws {
            try withServer(workers: 4) { _, port in
                let slow = try RawClient(port: port, timeoutMilliseconds: 5_000)
                try slow.send("GET /sleep/2000 HTTP/1.1\r\nHost: a\r\n\r\n")
                usleep(50_000)
                let started = monotonicMilliseconds()
                let results = onThreads(20) { _ -> Int in
                    (try? roundTrip("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", port: port).status) ?? 0
                }
                let elapsed = monotonicMilliseconds() - started
                #expect(results.allSatisfy { $0 == 200 })
                #expect(elapsed < 1_000, "\(elapsed) ms")
                #expect(try slow.readResponse().text == "slept 2000")
            }
        }

        /// Graceful shutdown: an in-flight request completes with its 200, then the port refuses connections.
        @Test func gracefulShutdown_inFlightRequestCompletes() throws {
            let server = try startServer()
            let port = server.boundPorts[0]
            let client = try RawClient(port: port)
            try client.send("GET /sleep/500 HTTP/1.1\r\nHost: a\r\n\r\n")
            usleep(100_000)
            let idle = try RawClient(port: port)
            try idle.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try idle.readResponse().status == 200)
            let stopper = OSThread(name: "test-stopper") { server.shutdown() }
            let r = try client.readResponse()
            #expect(r.status == 200)
            #expect(r.text == "slept 500")
            #expect(r.header("Connection") == "close")
            #expect(client.isClosedByPeer())
            #expect(idle.isClosedByPeer(), "idle keep-alive connections are closed on shutdown")
            client.close()
            idle.close()
            stopper.join()
            #expect(connectionRefused(port: port))
            server.shutdown()  // a second call is harmless
        }

        /// H31: with maxConnections = 4 the fifth connection gets 503 and close; once one closes, service resumes.
        @Test func connectionCap_fifthGets503() throws {
            var limits = HTTPLimits()
            limits.maxConnections = 4
            try withServer(limits: limits) { server, port in
                var open: [RawClient] = []
                for _ in 0..<limits.maxConnections {
                    let c = try RawClient(port: port)
                    try c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                    #expect(try c.readResponse().status == 200)
                    open.append(c)
                }
                let extra = try RawClient(port: port)
                let r = try extra.readResponse()
                #expect(r.status == 503)
                #expect(r.header("Connection") == "close")
                #expect(r.header("Retry-After") == "1")
                #expect(extra.isClosedByPeer())

                open.removeFirst()  // closes one
                var served = false
                for _ in 0..<20 where !served {
                    usleep(50_000)
                    if server.openConnections < limits.maxConnections,
                       let r = try? roundTrip("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", port: port), r.status == 200 {
                        served = true
                    }
                }
                #expect(served)
                open.removeAll()
            }
        }

        /// H31 per client (issue 12): with maxConnectionsPerClient = 3, a fourth connection from 127.0.0.1 gets
        /// 503 and close while 127.0.0.2 is still served; a closed connection frees its client's slot.
        @Test func perClientConnectionCap_fourthFromOneAddressGets503_otherAddressServed() throws {
            var limits = HTTPLimits()
            limits.maxConnectionsPerClient = 3
            try withServer(limits: limits) { server, port in
                var open: [RawClient] = []
                for _ in 0..<3 {
                    let c = try RawClient(port: port, source: "127.0.0.1")
                    try c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                    #expect(try c.readResponse().status == 200)
                    open.append(c)
                }
                let extra = try RawClient(port: port, source: "127.0.0.1")
                let r = try extra.readResponse()
                #expect(r.status == 503)
                #expect(r.header("Connection") == "close")
                #expect(r.header("Retry-After") == "1")
                #expect(extra.isClosedByPeer())

                let other = try RawClient(port: port, source: "127.0.0.2")
                try other.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try other.readResponse().status == 200)

                open.removeFirst()  // closes one
                var served = false
                for _ in 0..<20 where !served {
                    usleep(50_000)
                    if let c = try? RawClient(port: port, source: "127.0.0.1"),
                       (try? c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")) != nil,
                       let r = try? c.readResponse(), r.status == 200 {
                        served = true
                    }
                }
                #expect(served)
                open.removeAll()
            }
        }

        /// Proxies carry many clients: an exempt address is held only to the global cap.
        @Test func perClientConnectionCap_exemptAddress_notCapped() throws {
            var limits = HTTPLimits()
            limits.maxConnectionsPerClient = 2
            try withServer(limits: limits, uncapped: ["127.0.0.1"]) { _, port in
                let open = try (0..<5).map { _ in try RawClient(port: port, source: "127.0.0.1") }
                for c in open {
                    try c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                    #expect(try c.readResponse().status == 200)
                }
            }
        }

        @Test func clientKey_ipv4Whole_ipv6By64_mappedAsIPv4() {
            #expect(ClientKey.of("203.0.113.7") == "203.0.113.7")
            #expect(ClientKey.of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
            #expect(ClientKey.of("2001:db8:1:2:ffff::1") == ClientKey.of("2001:0db8:0001:0002::9"))
            #expect(ClientKey.of("2001:db8:1:3::1") != ClientKey.of("2001:db8:1:2::1"))
            #expect(ClientKey.of("::ffff:198.51.100.4") == "198.51.100.4")
            #expect(ClientKey.of("::1") == "0:0:0:0::/64")
            #expect(ClientKey.of("not an address") == "not an address")
            #expect(ClientKey.of("1:2:3") == "1:2:3")
        }

        /// H28: partial heads held open on 50 connections do not delay a normal client; each gets 408 and is closed.
        @Test func slowloris_normalClientServedDuringAttack() throws {
            let limits = shortTimeouts(head: 1_000)
            try withServer(limits: limits) { server, port in
                let attackers = try (0..<50).map { _ in try RawClient(port: port, timeoutMilliseconds: 4_000) }
                for a in attackers { try a.send("GET /hello HTTP/1.1\r\nHost: a\r\nX-Slow: ") }
                let started = monotonicMilliseconds()
                #expect(try roundTrip("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", port: port).status == 200)
                #expect(monotonicMilliseconds() - started < 1_000)
                for a in attackers {
                    #expect((try? a.readResponse().status) == 408)
                    #expect(a.isClosedByPeer())
                }
                attackers.forEach { $0.close() }
                var drained = false
                for _ in 0..<40 where !drained {
                    usleep(50_000)
                    drained = server.openConnections == 0
                }
                #expect(drained, "\(server.openConnections) connections still open")
            }
        }

        /// H30: a client that never reads its response is disconnected after writeTimeoutMilliseconds.
        @Test func slowReader_disconnectedAtWriteTimeout() throws {
            var limits = HTTPLimits()
            limits.writeTimeoutMilliseconds = 300
            try withServer(limits: limits) { server, port in
                let client = try RawClient(port: port)
                try client.send("GET /big/64 HTTP/1.1\r\nHost: a\r\n\r\n")
                var closed = false
                for _ in 0..<60 where !closed {
                    usleep(100_000)
                    closed = server.openConnections == 0
                }
                #expect(closed, "the stalled writer was not dropped")
            }
        }

        /// H22 + H27: an oversize body announced with `Expect: 100-continue` gets 413 and no 100 Continue.
        @Test func expectContinueWithOversizeBody_413WithoutContinue() throws {
            try withServer { _, port in
                let client = try RawClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \(HTTPLimits().maxBodyBytes + 1)\r\n"
                    + "Expect: 100-continue\r\n\r\n")
                let r = try client.readResponse()
                #expect(r.status == 413)
                #expect(client.isClosedByPeer())
            }
        }

        /// An idle keep-alive connection is closed silently after keepAliveTimeoutMilliseconds.
        @Test func idleKeepAlive_closedSilently() throws {
            var limits = HTTPLimits()
            limits.keepAliveTimeoutMilliseconds = 300
            try withServer(limits: limits) { _, port in
                let client = try RawClient(port: port, timeoutMilliseconds: 3_000)
                try client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                let started = monotonicMilliseconds()
                #expect(client.waitForEnd() == .eof)
                #expect(monotonicMilliseconds() - started >= limits.keepAliveTimeoutMilliseconds - 50)
            }
        }

        /// When maxQueuedJobs handler jobs already wait for a worker, the next request gets 503 + Retry-After.
        @Test func workerQueueFull_503() throws {
            var limits = HTTPLimits()
            limits.maxQueuedJobs = 1
            try withServer(limits: limits, workers: 1) { _, port in
                let running = try RawClient(port: port)
                try running.send("GET /sleep/600 HTTP/1.1\r\nHost: a\r\n\r\n")
                usleep(100_000)
                let queued = try RawClient(port: port)
                try queued.send("GET /sleep/0 HTTP/1.1\r\nHost: a\r\n\r\n")
                usleep(100_000)
                let refused = try roundTrip("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", port: port)
                #expect(refused.status == 503)
                #expect(refused.header("Retry-After") == "1")
                #expect(try running.readResponse().text == "slept 600")
                #expect(try queued.readResponse().text == "slept 0")
                #expect(try roundTrip("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n", port: port).text == "fast")
            }
        }
    }
}
