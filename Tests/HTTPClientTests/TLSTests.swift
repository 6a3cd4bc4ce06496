import HTTPClient
import Testing

extension LoopbackTests {
    /// Certificate verification against a python3 `ssl` server with a self-signed certificate for `localhost`.
    @Suite struct TLS {
        @Test func selfSigned_refusedWithSystemCAs() throws {
            try withTLSServer { server in
                let policy = HTTPClientPolicy(allowedHosts: ["localhost"])
                #expect(fetch("https://localhost:\(server.port)/", policy: policy).failure == .tlsFailed)
            }
        }

        @Test func trustedThroughCAFile() throws {
            try withTLSServer { server in
                let policy = HTTPClientPolicy(allowedHosts: ["localhost"], caFile: server.certificateFile)
                let response = try fetch("https://localhost:\(server.port)/token?code=secret", policy: policy).get()
                #expect(response.status == 200)
                #expect(response.text == "tls-ok")
            }
        }

        /// CURLOPT_SSL_VERIFYHOST = 2: a trusted certificate for another name is refused.
        @Test func hostNameMismatch_refusedEvenWithCAFile() throws {
            try withTLSServer { server in
                let policy = HTTPClientPolicy(addressRule: .any, caFile: server.certificateFile)
                #expect(fetch("https://127.0.0.1:\(server.port)/", policy: policy).failure == .tlsFailed)
            }
        }

        @Test func missingCAFile_tlsFailed() throws {
            try withTLSServer { server in
                let policy = HTTPClientPolicy(allowedHosts: ["localhost"], caFile: server.directory.path + "/absent.pem")
                #expect(fetch("https://localhost:\(server.port)/", policy: policy).failure == .tlsFailed)
            }
        }

        /// A plain-HTTP peer on an https URL fails the handshake, it is not read as HTTP.
        @Test func plainPeerOnHTTPSURL_tlsFailed() throws {
            // Answers at once, without waiting for a request head (a ClientHello never ends in CRLFCRLF).
            let server = try RawServer { connection in
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                connection.waitForClose(milliseconds: 3_000)
            }
            defer { server.stop() }
            let result = fetch("https://127.0.0.1:\(server.port)/", policy: loopbackPolicy())
            #expect(result.failure == .tlsFailed)
        }
    }
}
