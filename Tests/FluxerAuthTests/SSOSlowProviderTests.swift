#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import HTTPServer

/// A provider that never answers holds a few workers at most, each for `sso.timeout`; the rest of the API keeps
/// answering, and sign-ins beyond the cap are refused at once with 503.
@Suite struct SSOSlowProviderTests {
    /// A listening socket that never accepts: connections complete in the kernel's backlog, no answer ever comes.
    final class SilentListener {
        let fd: Int32
        let port: UInt16

        init() {
            (fd, port) = bindLoopback()
        }

        deinit { close(fd) }
    }

    @Test func slowProvider_holdsAFewWorkersAtMost() throws {
        let silent = SilentListener()
        let base = "http://127.0.0.1:\(silent.port)"
        let h = try MFAHarness { config in
            config.sso.enabled = true
            config.sso.issuer = base
            config.sso.clientID = "c"
            config.sso.authorizationURL = base + "/authorize"
            config.sso.tokenURL = base + "/token"
            config.sso.jwksURL = base + "/jwks"
            config.ssoTimeoutMilliseconds = 1_500
        }
        defer { h.stop() }
        let cap = h.running.app.sso.maxConcurrentExchanges
        #expect(cap == 2)
        let states = try (0...cap).map { _ in try #require(jsonObject(h.post("/auth/sso/start").body)["state"] as? String) }
        let results = Mutex<[(Int, String, Int64)]>([])
        let port = h.port
        let threads = states.map { state in
            OSThread(name: "sso-client") {
                let started = Clock.wallMilliseconds()
                let r = TestClient.request(port: port, "POST", "/auth/sso/complete", headers: [("Content-Type", "application/json")],
                                           body: #"{"code":"c","state":"\#(state)"}"#)
                results.withLock { $0.append((r.status, jsonObject(r.body)["code"] as? String ?? "", Clock.wallMilliseconds() - started)) }
            }
        }
        usleep(300_000)
        // Meanwhile the API answers.
        #expect(h.send("GET", "/auth/sso/status").status == 200)
        for t in threads { t.join() }
        let all = results.withLock { $0 }
        let busy = all.filter { $0.0 == 503 }
        #expect(busy.count == 1 && busy[0].1 == "SERVICE_UNAVAILABLE" && busy[0].2 < 1_000, "\(all)")
        let timedOut = all.filter { $0.0 == 502 && $0.1 == "SSO_PROVIDER_ERROR" }
        #expect(timedOut.count == cap, "\(all)")
        #expect(timedOut.allSatisfy { $0.2 >= 1_400 && $0.2 < 5_000 }, "bounded by sso.timeout: \(all)")
    }
}
