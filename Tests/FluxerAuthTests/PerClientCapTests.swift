import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

/// Issue 12 should-fix "Passkey challenges have no per-client cap; the SSO pending-state cap can be filled by one
/// client: cap per client." Both are issued without authentication; one client (an IPv4 address, an IPv6 /64)
/// that fills its own cap gets 429 and stops nobody else. Clients are told apart through a trusted proxy's
/// `X-Forwarded-For`, as behind a real deployment's reverse proxy.
@Suite struct PerClientCapTests {
    static func harness(sso: Bool = false) throws -> MFAHarness {
        try MFAHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            if sso {
                config.sso.enabled = true
                config.sso.issuer = "mock"
            }
        }
    }

    static func from(_ address: String) -> [(String, String)] { [("X-Forwarded-For", address)] }

    @Test func clientKey_ipv4AsIs_ipv6ByItsSlash64() {
        #expect(ClientKey.of("203.0.113.9") == "203.0.113.9")
        #expect(ClientKey.of("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(ClientKey.of("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(ClientKey.of("[2001:db8:1:2:3:4:5:6]") == "2001:db8:1:2::/64")
        #expect(ClientKey.of("fe80::1%eth0") == "fe80:0:0:0::/64")
        #expect(ClientKey.of("::1") == "0:0:0:0::/64")
        #expect(ClientKey.of("::ffff:198.51.100.7") == "198.51.100.7", "IPv4-mapped counts as IPv4")
        #expect(ClientKey.of("2001:db8:1:3::1") != ClientKey.of("2001:db8:1:2::1"))
        for odd in ["1:::2", "1:2:3:4:5:6:7:8:9", "12345::1", "::g", "1::2::3", "::1.2.3", "not an address", ""] {
            #expect(ClientKey.of(odd) == odd, "\(odd) is its own key")
        }
    }

    @Test func passkeyChallenges_cappedPerClient_otherClientsUnaffected() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let cap = WebAuthnRoutes.maxPendingPasskeyChallengesPerClient
        for (filler, sameClient, otherClient) in [("203.0.113.1", "203.0.113.1", "203.0.113.2"),
                                                  ("2001:db8:1:2::1", "2001:db8:1:2::beef", "2001:db8:1:3::1")] {
            for _ in 0..<cap {
                #expect(h.post("/auth/webauthn/authentication-options", headers: Self.from(filler)).status == 200)
            }
            let full = h.post("/auth/webauthn/authentication-options", headers: Self.from(sameClient))
            #expect(full.status == 429 && full.header("Retry-After") != nil && jsonObject(full.body)["code"] as? String == "RATE_LIMITED",
                    "\(sameClient): \(full.status) \(full.body)")
            let other = h.post("/auth/webauthn/authentication-options", headers: Self.from(otherClient))
            #expect(other.status == 200, "\(otherClient) is another client: \(other.body)")
        }
        #expect(try h.count("webauthn_challenges", where: "purpose = 'passkey'") == 2 * cap + 2)
        // The filler's challenges expire, and with them its cap.
        h.clock.advance(milliseconds: WebAuthnRoutes.challengeLifetime)
        #expect(h.post("/auth/webauthn/authentication-options", headers: Self.from("203.0.113.1")).status == 200)
    }

    @Test func ssoPendingStates_cappedPerClient_otherClientsUnaffected() throws {
        let h = try Self.harness(sso: true)
        defer { h.stop() }
        let cap = SSOService.maxPendingStatesPerClient
        for (filler, sameClient, otherClient) in [("203.0.113.1", "203.0.113.1", "203.0.113.2"),
                                                  ("2001:db8:1:2::1", "2001:db8:1:2::beef", "2001:db8:1:3::1")] {
            for _ in 0..<cap {
                #expect(h.post("/auth/sso/start", headers: Self.from(filler)).status == 200)
            }
            let full = h.post("/auth/sso/start", headers: Self.from(sameClient))
            #expect(full.status == 429 && full.header("Retry-After") != nil, "\(sameClient): \(full.status) \(full.body)")
            #expect(h.post("/auth/sso/start", headers: Self.from(otherClient)).status == 200, "\(otherClient) is another client")
        }
        #expect(try h.count("sso_states") == 2 * cap + 2)
    }
}
