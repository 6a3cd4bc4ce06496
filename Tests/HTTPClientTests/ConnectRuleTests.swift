@testable import HTTPClient
import Testing

/// The per-address decision made in the open-socket callback (HTTPClientPolicy's address and plain-HTTP rules).
@Suite struct ConnectRuleTests {
    private func rule(_ url: String, _ policy: HTTPClientPolicy = HTTPClientPolicy()) throws -> ConnectRule {
        ConnectRule(policy: policy, url: try RequestURL.parse(url).get())
    }

    @Test func publicOnly_refusesSpecialAndAdmitsPublic() throws {
        let https = try rule("https://idp.example.com/")
        #expect(https.refusal(for: IPAddress("127.0.0.1")) == .addressNotAllowed(host: "idp.example.com"))
        #expect(https.refusal(for: IPAddress("10.1.2.3")) == .addressNotAllowed(host: "idp.example.com"))
        #expect(https.refusal(for: IPAddress("::ffff:169.254.169.254")) == .addressNotAllowed(host: "idp.example.com"))
        #expect(https.refusal(for: IPAddress("93.184.216.34")) == nil)
        #expect(https.refusal(for: IPAddress("2606:4700::1")) == nil)
    }

    @Test func otherFamilies_refusedWheneverARuleApplies() throws {
        #expect(try rule("https://idp.example.com/").refusal(for: nil) == .addressNotAllowed(host: "idp.example.com"))
        #expect(try rule("http://x.test/", HTTPClientPolicy(addressRule: .any)).refusal(for: nil) == .schemeNotAllowed)
        #expect(try rule("https://x.test/", HTTPClientPolicy(addressRule: .any)).refusal(for: nil) == nil)
    }

    @Test func allowedHosts_trustAnyAddress_matchedExactly() throws {
        let policy = HTTPClientPolicy(allowedHosts: ["LOCALHOST", "[::1]", "internal.example"])
        #expect(try rule("https://localhost:9000/", policy).refusal(for: IPAddress("127.0.0.1")) == nil)
        #expect(try rule("https://[::1]/", policy).refusal(for: IPAddress("::1")) == nil)
        #expect(try rule("https://internal.example/", policy).refusal(for: IPAddress("10.0.0.5")) == nil)
        // Only the name listed: another name for the same address, or a subdomain, is still checked.
        #expect(try rule("https://127.0.0.1/", policy).refusal(for: IPAddress("127.0.0.1")) == .addressNotAllowed(host: "127.0.0.1"))
        #expect(try rule("https://a.internal.example/", policy).refusal(for: IPAddress("10.0.0.5")) != nil)
    }

    /// Plain http: only to loopback unless allowsPlainHTTP.
    @Test func plainHTTP_loopbackOnlyUnlessAllowed() throws {
        let any = HTTPClientPolicy(addressRule: .any)
        #expect(try rule("http://localhost/", any).refusal(for: IPAddress("127.0.0.1")) == nil)
        #expect(try rule("http://[::1]/", any).refusal(for: IPAddress("::1")) == nil)
        #expect(try rule("http://internal/", any).refusal(for: IPAddress("10.0.0.5")) == .schemeNotAllowed)
        #expect(try rule("http://example.com/", any).refusal(for: IPAddress("93.184.216.34")) == .schemeNotAllowed)
        let plain = HTTPClientPolicy(allowsPlainHTTP: true)
        #expect(try rule("http://example.com/", plain).refusal(for: IPAddress("93.184.216.34")) == nil)
        // allowsPlainHTTP does not relax the address rule.
        #expect(try rule("http://internal/", plain).refusal(for: IPAddress("10.0.0.5")) == .addressNotAllowed(host: "internal"))
        // With the defaults, a trusted loopback host works over plain http (a development mock).
        let dev = HTTPClientPolicy(allowedHosts: ["localhost"])
        #expect(try rule("http://localhost:9000/", dev).refusal(for: IPAddress("127.0.0.1")) == nil)
        #expect(try rule("http://localhost:9000/", dev).refusal(for: IPAddress("10.0.0.1")) == .schemeNotAllowed)
    }
}
