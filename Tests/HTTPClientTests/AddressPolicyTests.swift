import HTTPClient
import Testing

extension LoopbackTests {
    /// `.publicOnly` over real connects: the refusal happens in the open-socket callback, so a refused request
    /// never reaches the server.
    @Suite struct AddressPolicy {
        @Test func publicOnly_refusesLoopbackIPv4() throws {
            try withRawServer({ connection in connection.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") }) { server in
                let result = fetch("https://127.0.0.1:\(server.port)/", policy: HTTPClientPolicy())
                #expect(result.failure == .addressNotAllowed(host: "127.0.0.1"))
                #expect(server.acceptedCount == 0)
            }
        }

        @Test func publicOnly_refusesLoopbackIPv6() throws {
            #expect(fetch("https://[::1]:9/", policy: HTTPClientPolicy()).failure == .addressNotAllowed(host: "::1"))
            #expect(fetch("https://[::ffff:127.0.0.1]:9/", policy: HTTPClientPolicy()).failure
                    == .addressNotAllowed(host: "::ffff:127.0.0.1"))
        }

        /// Addresses that are never dialled at all: the refusal comes before the socket exists, so no packet
        /// leaves and the answer is immediate.
        @Test(arguments: ["10.0.0.1", "169.254.169.254", "192.168.0.1", "100.64.0.1", "0.0.0.0", "[fe80::1]", "[fd00::1]"])
        func publicOnly_refusesPrivateAndLinkLocal(host: String) {
            let start = nowMilliseconds()
            let result = fetch("https://\(host)/latest/meta-data/?token=secret", policy: HTTPClientPolicy())
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            #expect(result.failure == .addressNotAllowed(host: bare))
            #expect(nowMilliseconds() - start < 1_000)
        }

        /// A name that resolves to loopback is refused on the address it resolves to.
        @Test func publicOnly_refusesNameResolvingToLoopback() throws {
            try withHTTPServer { port in
                let result = fetch("http://localhost:\(port)/hello", policy: HTTPClientPolicy())
                #expect(result.failure == .addressNotAllowed(host: "localhost"))
            }
        }

        /// allowedHosts lets a named loopback host through, over plain http too (loopback traffic).
        @Test func allowedHosts_letNamedLoopbackHostThrough() throws {
            try withHTTPServer { port in
                let response = try fetch("http://localhost:\(port)/hello", policy: HTTPClientPolicy(allowedHosts: ["localhost"])).get()
                #expect(response.text == "hello")
            }
        }

        /// The trust is for the name listed, not for its address under another name.
        @Test func allowedHosts_matchTheURLHostExactly() throws {
            try withHTTPServer { port in
                let policy = HTTPClientPolicy(allowedHosts: ["localhost"])
                #expect(fetch("http://127.0.0.1:\(port)/hello", policy: policy).failure == .addressNotAllowed(host: "127.0.0.1"))
                let byAddress = HTTPClientPolicy(allowedHosts: ["127.0.0.1"])
                #expect(fetch("http://127.0.0.1:\(port)/hello", policy: byAddress).response?.status == 200)
            }
        }

        /// Plain http leaves the machine only with allowsPlainHTTP, whatever the address rule.
        @Test func plainHTTP_toNonLoopbackRefused() {
            let policy = HTTPClientPolicy(addressRule: .any)
            #expect(fetch("http://10.255.255.1/", policy: policy).failure == .schemeNotAllowed)
            #expect(fetch("http://192.0.2.1/", policy: policy).failure == .schemeNotAllowed)
        }

        @Test func plainHTTP_toLoopbackAllowedUnderAny() throws {
            try withHTTPServer { port in
                #expect(fetch("http://127.0.0.1:\(port)/hello", policy: HTTPClientPolicy(addressRule: .any)).response?.status == 200)
            }
        }
    }
}
