#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import HTTPServer

/// Webhook name resolution is bounded by the request's deadline, and a resolver that never answers cannot
/// make lookup threads pile up. Each test uses host names of its own (`*.resolver-test.invalid`), so the
/// slow lookups installed here never touch other tests; the suite is serialized because the in-flight cap is
/// shared.
@Suite(.serialized) struct HostResolverTests {
    static let slow: HostResolver.Lookup = { _, _ in
        usleep(1_500_000)
        return .failure(.resolve("slow test resolver"))
    }

    static func waitForIdle() {
        for _ in 0..<100 where HostResolver.lookupsInFlight > 0 { usleep(50_000) }
    }

    @Test func slowLookup_timesOutAtTheDeadline() {
        let host = "slow.resolver-test.invalid"
        HostResolver.override(host, with: Self.slow)
        defer { HostResolver.override(host, with: nil); Self.waitForIdle() }
        let started = ClientSocket.now()
        #expect(throws: HTTPClientError.timeout) { try HostResolver.resolve(host, port: 443, deadline: started + 200) }
        let elapsed = ClientSocket.now() - started
        #expect(elapsed >= 190 && elapsed < 1_000, "returned after \(elapsed) ms")
        // The whole webhook POST obeys the same deadline.
        let url = HTTPClientURL("https://\(host)/hook")!
        let posted = ClientSocket.now()
        #expect(throws: HTTPClientError.timeout) {
            try BlockingHTTPClient.post(url, headers: [], body: [], timeoutMilliseconds: 250)
        }
        #expect(ClientSocket.now() - posted < 1_000)
    }

    @Test func stuckLookups_areCapped_thenRecover() {
        let hosts = (0...HostResolver.maxInFlight).map { "stuck\($0).resolver-test.invalid" }
        for host in hosts { HostResolver.override(host, with: Self.slow) }
        defer { for host in hosts { HostResolver.override(host, with: nil) }; Self.waitForIdle() }
        for host in hosts.dropLast() {
            #expect(throws: HTTPClientError.timeout) { try HostResolver.resolve(host, port: 80, deadline: ClientSocket.now() + 20) }
        }
        #expect(HostResolver.lookupsInFlight == HostResolver.maxInFlight)
        // Over the cap: refused at once, no new thread.
        let started = ClientSocket.now()
        #expect(throws: HTTPClientError.resolve("too many lookups in progress")) {
            try HostResolver.resolve(hosts.last!, port: 80, deadline: started + 5_000)
        }
        #expect(ClientSocket.now() - started < 100)
        #expect(HostResolver.lookupsInFlight == HostResolver.maxInFlight)
        // Once the stuck ones end, lookups work again.
        Self.waitForIdle()
        #expect(HostResolver.lookupsInFlight == 0)
        #expect((try? HostResolver.resolve("localhost", port: 80, deadline: ClientSocket.now() + 5_000))?.isEmpty == false)
    }

    /// Numeric addresses never go to the resolver thread, whatever lookup is installed for them.
    @Test func numericHosts_skipTheLookup() throws {
        HostResolver.override("127.0.0.1", with: Self.slow)
        HostResolver.override("::1", with: Self.slow)
        defer { HostResolver.override("127.0.0.1", with: nil); HostResolver.override("::1", with: nil) }
        let started = ClientSocket.now()
        let v4 = try HostResolver.resolve("127.0.0.1", port: 80, deadline: started + 5_000)
        #expect(v4.first?.family == AF_INET)
        #expect(ClientSocket.now() - started < 100)
        #expect(HostResolver.lookupsInFlight == 0)
        // A name that cannot resolve is a resolve error (NXDOMAIN, or no resolver at all on an offline machine).
        do {
            _ = try HostResolver.resolve("definitely-not-a-host.invalid", port: 80, deadline: ClientSocket.now() + 10_000)
            Issue.record("resolved an .invalid name")
        } catch {
            guard case .resolve = error else { Issue.record("\(error)"); return }
        }
    }

    // In this serialized suite because it runs slow lookups too (the in-flight cap is shared).
    /// A provider that does not answer holds at most half the workers (here 2 of 4): the next sign-in gets 503 at
    /// once, and the rest of the API keeps answering meanwhile.
    @Test func slowProvider_holdsAFewWorkersAtMost() throws {
        let host = "slow-idp.resolver-test.invalid"
        HostResolver.override(host, with: { _, _ in
            usleep(1_500_000)
            return .failure(.resolve("slow test provider"))
        })
        defer { HostResolver.override(host, with: nil) }
        let h = try MFAHarness { config in
            config.sso.enabled = true
            config.sso.issuer = "http://\(host)"
            config.sso.clientID = "c"
            config.sso.authorizationURL = "http://\(host)/authorize"
            config.sso.tokenURL = "http://\(host)/token"
            config.sso.jwksURL = "http://\(host)/jwks"
        }
        defer { h.stop() }
        let cap = h.running.app.sso.maxConcurrentExchanges
        #expect(cap == 2)
        let states = try (0...cap).map { _ in try #require(jsonObject(h.post("/auth/sso/start").body)["state"] as? String) }
        let results = Mutex<[(Int, String, Int64)]>([])
        let port = h.port
        let threads = states.map { state in
            OSThread(name: "sso-client") {
                let started = ClientSocket.now()
                let r = TestClient.request(port: port, "POST", "/auth/sso/complete", headers: [("Content-Type", "application/json")],
                                           body: #"{"code":"c","state":"\#(state)"}"#)
                results.withLock { $0.append((r.status, jsonObject(r.body)["code"] as? String ?? "", ClientSocket.now() - started)) }
            }
        }
        usleep(300_000)
        // Meanwhile the API answers.
        #expect(h.send("GET", "/auth/sso/status").status == 200)
        for t in threads { t.join() }
        let all = results.withLock { $0 }
        let busy = all.filter { $0.0 == 503 }
        #expect(busy.count == 1 && busy[0].1 == "SERVICE_UNAVAILABLE" && busy[0].2 < 1_000, "\(all)")
        #expect(all.filter { $0.0 == 400 && $0.1 == "SSO_AUTHENTICATION_FAILED" }.count == cap, "\(all)")
    }
}
