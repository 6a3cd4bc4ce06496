#if canImport(Glibc)
import Glibc
#endif
import HTTPClient
import Testing

extension LoopbackTests {
    /// Raw socket peers that stall, lie about lengths, flood headers or close early.
    @Suite struct MisbehavingPeers {
        /// The head of a response with `fields`, then the body bytes.
        private static func response(_ status: String = "200 OK", fields: [String], body: String = "") -> String {
            "HTTP/1.1 \(status)\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n" + body
        }

        @Test func slowResponse_timesOut() throws {
            try withRawServer({ connection in
                connection.waitForClose(milliseconds: 3_000)
                connection.write(Self.response(fields: ["Content-Length: 2"], body: "ok"))
            }) { server in
                let start = nowMilliseconds()
                let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(totalTimeout: .milliseconds(300)))
                #expect(result.failure == .timedOut)
                #expect(nowMilliseconds() - start < 1_200)
            }
        }

        /// A body that trickles in past the total timeout: the whole exchange is bounded, not each read.
        @Test func tricklingBody_timesOut() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Content-Length: 100"]))
                for _ in 0..<20 where connection.write("x") { connection.pause(milliseconds: 100) }
            }) { server in
                let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(totalTimeout: .milliseconds(400)))
                #expect(result.failure == .timedOut)
            }
        }

        @Test func acceptedButSilent_timesOut() throws {
            try withRawServer({ connection in connection.waitForClose(milliseconds: 3_000) }) { server in
                let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(totalTimeout: .milliseconds(300)))
                #expect(result.failure == .timedOut)
            }
        }

        /// A listener whose accept queue is full drops SYNs, like a black-holed address: the connect timeout fires.
        @Test func neverAccepting_connectTimesOut() throws {
            let server = try RawServer(backlog: 0, accepting: false)
            let fillers = server.fillBacklog()
            defer {
                fillers.forEach { close($0) }
                server.stop()
            }
            let start = nowMilliseconds()
            let result = fetch("http://127.0.0.1:\(server.port)/",
                               policy: loopbackPolicy(connectTimeout: .milliseconds(300), totalTimeout: .seconds(5)))
            let elapsed = nowMilliseconds() - start
            #expect(result.failure == .timedOut)
            #expect(elapsed >= 250 && elapsed < 2_000)
        }

        @Test func closedPort_connectFails() throws {
            let server = try RawServer(accepting: false)
            let port = server.port
            server.stop()
            #expect(fetch("http://127.0.0.1:\(port)/").failure == .connectFailed)
        }

        @Test func chunkedBody_reassembled() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Transfer-Encoding: chunked"], body: "5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\n\r\n"))
            }) { server in
                let response = try fetch("http://127.0.0.1:\(server.port)/").get()
                #expect(response.text == "hello, world")
                #expect(response.header("Transfer-Encoding") == "chunked")
            }
        }

        @Test func chunkedTrailers_notReportedAsHeaders() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Transfer-Encoding: chunked"], body: "2\r\nok\r\n0\r\nX-Trailer: t\r\n\r\n"))
            }) { server in
                let response = try fetch("http://127.0.0.1:\(server.port)/").get()
                #expect(response.text == "ok")
                #expect(response.header("X-Trailer") == nil)
            }
        }

        /// With no length to refuse up front, the write callback stops the body at limit + 1.
        @Test func chunkedBody_atLimitAndOver() throws {
            for (size, expectTooLarge) in [(1000, false), (1001, true)] {
                try withRawServer({ connection in
                    let data = String(repeating: "c", count: size)
                    connection.write(Self.response(fields: ["Transfer-Encoding: chunked"], body: "\(String(size, radix: 16))\r\n\(data)\r\n0\r\n\r\n"))
                }) { server in
                    let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(maxResponseBytes: 1000))
                    if expectTooLarge {
                        #expect(result.failure == .responseTooLarge)
                    } else {
                        #expect(result.response?.body.count == 1000)
                    }
                }
            }
        }

        /// A body delimited by close (RFC 9112 §6.3 rule 8) also stops at limit + 1.
        @Test func closeDelimitedBody_atLimitAndOver() throws {
            for (size, expectTooLarge) in [(2048, false), (2049, true)] {
                try withRawServer({ connection in
                    connection.write(Self.response(fields: ["Connection: close"], body: String(repeating: "d", count: size)))
                }) { server in
                    let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(maxResponseBytes: 2048))
                    if expectTooLarge {
                        #expect(result.failure == .responseTooLarge)
                    } else {
                        #expect(result.response?.body.count == 2048)
                    }
                }
            }
        }

        /// An endless body stops at the cap, long before the timeout.
        @Test func endlessBody_stoppedAtCap() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Connection: close"]))
                let block = [UInt8](repeating: 0x65, count: 64 << 10)
                for _ in 0..<1_000 where connection.write(block) {}
            }) { server in
                let start = nowMilliseconds()
                let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(maxResponseBytes: 1 << 20))
                #expect(result.failure == .responseTooLarge)
                #expect(nowMilliseconds() - start < 2_000)
            }
        }

        @Test func closedMidBody_connectionLost() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Content-Length: 100"], body: String(repeating: "h", count: 50)))
            }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .connectionLost)
            }
        }

        @Test func closedMidChunk_connectionLost() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Transfer-Encoding: chunked"], body: "10\r\nabc"))
            }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .connectionLost)
            }
        }

        @Test func closedBeforeAnyResponse_connectionLost() throws {
            try withRawServer({ _ in }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .connectionLost)
            }
        }

        @Test func notHTTP_protocolError() throws {
            try withRawServer({ connection in connection.write("SSH-2.0-OpenSSH_9.2\r\n\r\n") }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .protocolError)
            }
        }

        @Test func malformedHeaderLine_protocolError() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Content-Length: 0", "Bad Header : x"]))
            }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .protocolError)
            }
        }

        /// maxResponseHeaderCount: at the limit, then one over.
        @Test func headerCount_atLimitAndOver() throws {
            for (count, expectTooLarge) in [(20, false), (21, true)] {
                try withRawServer({ connection in
                    // Content-Length is one of the fields.
                    connection.write(Self.response(fields: ["Content-Length: 0"] + (1..<count).map { "X-\($0): v" }))
                }) { server in
                    let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(maxResponseHeaderCount: 20))
                    if expectTooLarge {
                        #expect(result.failure == .headersTooLarge)
                    } else {
                        #expect(result.response?.headers.count == 20)
                    }
                }
            }
        }

        /// maxResponseHeaderBytes counts status line, fields and the blank line: at the limit, then one over.
        @Test func headerBytes_atLimitAndOver() throws {
            let fixed = Self.response(fields: ["Content-Length: 0", "X-Pad: "]).utf8.count
            for (limit, expectTooLarge) in [(fixed + 500, false), (fixed + 499, true)] {
                try withRawServer({ connection in
                    connection.write(Self.response(fields: ["Content-Length: 0", "X-Pad: " + String(repeating: "p", count: 500)]))
                }) { server in
                    let result = fetch("http://127.0.0.1:\(server.port)/", policy: loopbackPolicy(maxResponseHeaderBytes: limit))
                    if expectTooLarge {
                        #expect(result.failure == .headersTooLarge)
                    } else {
                        #expect(result.response?.header("X-Pad")?.count == 500)
                    }
                }
            }
        }

        /// A flood of small header lines, and one line larger than libcurl's own per-line buffer.
        @Test func hugeHeaders_refused() throws {
            try withRawServer({ connection in
                connection.write("HTTP/1.1 200 OK\r\n")
                for index in 0..<100_000 where connection.write("X-Flood-\(index): \(String(repeating: "f", count: 40))\r\n") {}
            }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .headersTooLarge)
            }
            try withRawServer({ connection in
                connection.write("HTTP/1.1 200 OK\r\nX-Huge: " + String(repeating: "h", count: 300_000) + "\r\n\r\n")
            }) { server in
                #expect(fetch("http://127.0.0.1:\(server.port)/").failure == .headersTooLarge)
            }
        }

        /// RFC 9110 §15.2: interim responses are read past; the final head is what is returned.
        @Test func earlyHints_thenFinalResponse() throws {
            try withRawServer({ connection in
                connection.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
                connection.write(Self.response(fields: ["Content-Length: 2", "X-Final: yes"], body: "ok"))
            }) { server in
                let response = try fetch("http://127.0.0.1:\(server.port)/").get()
                #expect(response.status == 200)
                #expect(response.header("X-Final") == "yes")
                #expect(response.header("Link") == nil)
                #expect(response.text == "ok")
            }
        }

        /// A redirect towards the metadata address comes back as a response; no second connection is made.
        @Test func redirectToInternalAddress_notFollowed() throws {
            try withRawServer({ connection in
                connection.write(Self.response("301 Moved Permanently", fields:
                                               ["Location: http://169.254.169.254/latest/meta-data/", "Content-Length: 0"]))
            }) { server in
                let response = try fetch("http://127.0.0.1:\(server.port)/start").get()
                #expect(response.status == 301)
                #expect(response.header("Location") == "http://169.254.169.254/latest/meta-data/")
                #expect(server.acceptedCount == 1)
            }
        }

        /// No content coding is asked for, so none is undone: a gzip body arrives as sent.
        @Test func contentEncoding_notDecoded() throws {
            try withRawServer({ connection in
                connection.write(Self.response(fields: ["Content-Encoding: gzip", "Content-Length: 4"], body: "\u{1F}abc"))
            }) { server in
                let response = try fetch("http://127.0.0.1:\(server.port)/").get()
                #expect(response.body == [0x1F, 0x61, 0x62, 0x63])
            }
        }
    }
}
