import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import FluxerDomain

/// The route and global limits over HTTP (fluxer-api.md §12, LG-04): headers on limited routes, the exact 429,
/// the global limit, exempt routes, keying by user / IP, `X-Forwarded-For` only from trusted proxies, config
/// overrides, the off switch, and auditing of refusals. The harness clock is frozen, so nothing refills unless a
/// test moves it.
@Suite(.serialized) struct RateLimitHTTPTests {
    static func harness(_ extra: (inout Config) -> Void = { _ in }) throws -> AccountsHarness {
        try AccountsHarness { config in
            Abuse.limitsOn(&config)
            config.rateLimitOverrides = ["auth:login": RateLimit(3, per: 10_000)]
            extra(&config)
        }
    }

    /// A login attempt that the handler refuses cheaply (no hashing): the filter has already counted it.
    static func cheapLogin(_ h: AccountsHarness, headers: [(String, String)] = []) -> TestResponse {
        h.request("POST", "/auth/login", json: "{}", headers: headers)
    }

    @Test func limitedRoute_headersThenExact429() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let now = h.clock.now
        for n in 1...3 {
            let r = Self.cheapLogin(h)
            #expect(r.status == 400, "attempt \(n): \(r.status) \(r.body)")
            #expect(r.header("X-RateLimit-Limit") == "3")
            #expect(r.header("X-RateLimit-Remaining") == String(3 - n))
            // Emission interval 10 000 / 3 = 3333.333 ms (microsecond precision); Reset is the new TAT in whole unix
            // seconds, Reset-After the wait in milliseconds rounded up.
            let tat = now + (Int64(n) * 10_000 + 2) / 3
            #expect(r.header("X-RateLimit-Reset") == String((tat + 999) / 1000))
            #expect(r.header("X-RateLimit-Reset-After") == ["3.334", "6.667", "10.000"][n - 1])
            #expect(r.header("X-RateLimit-Bucket") == "auth:login")
            #expect(r.header("X-RateLimit-Global") == nil)
            #expect(r.header("Retry-After") == nil)
        }
        let limited = Self.cheapLogin(h)
        #expect(limited.status == 429)
        let body = try #require(jsonObject(limited))
        #expect(Set(body.keys) == ["code", "message", "global", "retry_after"])
        #expect(body["code"] as? String == "RATE_LIMITED")
        #expect((body["message"] as? String)?.isEmpty == false)
        #expect(body["global"] as? Bool == false)
        let retryAfter = try #require(Int(limited.header("Retry-After") ?? ""))
        #expect(retryAfter >= 1)
        // 4 × 3333.333 − 10 000 = 3333.332 ms → Retry-After 4; retry_after is the same whole number.
        #expect(retryAfter == 4)
        let retrySeconds = try #require(body["retry_after"] as? Double)
        #expect(retrySeconds > 0 && retrySeconds <= Double(retryAfter) && Int(retrySeconds.rounded(.up)) == retryAfter)
        #expect(limited.header("X-RateLimit-Global") == "false")
        #expect(limited.header("X-RateLimit-Limit") == "3")
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        #expect(limited.header("X-RateLimit-Bucket") == "auth:login")
        #expect(limited.header("X-RateLimit-Reset").flatMap { Int64($0) }.map { $0 * 1000 >= now } == true)
        #expect(limited.header("Content-Type")?.hasPrefix("application/json") == true)
        // The headers appear once each (the filter's and the error's are not doubled).
        #expect(limited.headers.filter { $0.0.lowercased() == "x-ratelimit-limit" }.count == 1)
        #expect(limited.headers.filter { $0.0.lowercased() == "retry-after" }.count == 1)

        // One emission interval later exactly one more passes.
        h.clock.advance(milliseconds: 3_334)
        #expect(Self.cheapLogin(h).status == 400)
        #expect(Self.cheapLogin(h).status == 429)
    }

    @Test func globalLimit_429WithGlobalTrue_exemptRoutesNeverLimited() throws {
        let h = try Self.harness { $0.globalRateLimit = RateLimit(5, per: 1_000) }
        defer { h.stop() }
        for _ in 0..<12 {
            let health = h.request("GET", "/healthz")
            #expect(health.status == 200)
            #expect(Abuse.rateLimitHeaders(health).isEmpty)
        }
        // An unbucketed route counts only against the global limit (and carries no headers).
        for _ in 0..<5 {
            let r = h.request("GET", "/users/@me")
            #expect(r.status == 401)
            #expect(Abuse.rateLimitHeaders(r).isEmpty)
        }
        let limited = h.request("GET", "/users/@me")
        #expect(limited.status == 429)
        let body = try #require(jsonObject(limited))
        #expect(Set(body.keys) == ["code", "message", "global", "retry_after"])
        #expect(body["code"] as? String == "RATE_LIMITED")
        #expect(body["global"] as? Bool == true)
        #expect(limited.header("X-RateLimit-Global") == "true")
        #expect(Int(limited.header("Retry-After") ?? "").map { $0 >= 1 } == true)
        // The global refusal covers bucketed routes as well; health stays open.
        #expect(Self.cheapLogin(h).status == 429)
        #expect(jsonObject(Self.cheapLogin(h))?["global"] as? Bool == true)
        #expect(h.request("GET", "/healthz").status == 200)
        #expect(h.request("GET", "/readyz").status != 429)
        // One second later the global budget is back.
        h.clock.advance(milliseconds: 1_000)
        #expect(h.request("GET", "/users/@me").status == 401)
    }

    @Test func authenticatedCallersKeyedByUser_unauthenticatedByIP() throws {
        let h = try Self.harness { $0.rateLimitOverrides["auth:sessions"] = RateLimit(2, per: 60_000) }
        defer { h.stop() }
        let a = try h.register(email: "ann@example.com")
        let b = try h.register(email: "bob@example.com")
        // Warm the principal cache (the filter only looks there); /users/@me has no bucket.
        #expect(h.me(a.token).status == 200)
        #expect(h.me(b.token).status == 200)

        for _ in 0..<2 { #expect(h.request("GET", "/auth/sessions", auth: a.token).status == 200) }
        let aLimited = h.request("GET", "/auth/sessions", auth: a.token)
        #expect(aLimited.status == 429)
        #expect(aLimited.header("X-RateLimit-Bucket") == "auth:sessions")
        // Same IP, other user: a separate bucket.
        let bFirst = h.request("GET", "/auth/sessions", auth: b.token)
        #expect(bFirst.status == 200)
        #expect(bFirst.header("X-RateLimit-Remaining") == "1")
        // Unauthenticated callers from that IP have their own (IP) bucket, untouched by the users'.
        let anonymous = h.request("GET", "/auth/sessions")
        #expect(anonymous.status == 401)
        #expect(anonymous.header("X-RateLimit-Remaining") == "1")
        #expect(h.request("GET", "/auth/sessions").status == 401)
        #expect(h.request("GET", "/auth/sessions").status == 429)
        // …and a user's bucket is not the IP's: b still has one left.
        #expect(h.request("GET", "/auth/sessions", auth: b.token).status == 200)
        #expect(h.request("GET", "/auth/sessions", auth: b.token).status == 429)
    }

    @Test func forwardedFor_ignoredWithoutTrustedProxy() throws {
        let h = try Self.harness()
        defer { h.stop() }
        // Spoofed values share the socket address's bucket.
        let spoofs = ["203.0.113.1", "203.0.113.2", "198.51.100.7, 203.0.113.3"]
        for (n, spoof) in spoofs.enumerated() {
            let r = Self.cheapLogin(h, headers: [("X-Forwarded-For", spoof)])
            #expect(r.header("X-RateLimit-Remaining") == String(2 - n))
        }
        #expect(Self.cheapLogin(h, headers: [("X-Forwarded-For", "203.0.113.99")]).status == 429)
        #expect(Self.cheapLogin(h).status == 429)
    }

    @Test func forwardedFor_fromTrustedProxy_rightMostUntrustedHopIsTheClient() throws {
        let h = try Self.harness { $0.trustedProxies = ["127.0.0.1", "10.0.0.2"] }
        defer { h.stop() }
        let one = [("X-Forwarded-For", "203.0.113.1")]
        // A spoofed left-most value in front of the real client does not change the key.
        let oneSpoofed = [("X-Forwarded-For", "6.6.6.6, 203.0.113.1, 10.0.0.2")]
        let two = [("X-Forwarded-For", "203.0.113.2")]
        #expect(Self.cheapLogin(h, headers: one).header("X-RateLimit-Remaining") == "2")
        #expect(Self.cheapLogin(h, headers: oneSpoofed).header("X-RateLimit-Remaining") == "1")
        #expect(Self.cheapLogin(h, headers: one).header("X-RateLimit-Remaining") == "0")
        #expect(Self.cheapLogin(h, headers: oneSpoofed).status == 429)
        // Another client behind the same proxy has its own bucket; so has the proxy itself (no header).
        #expect(Self.cheapLogin(h, headers: two).header("X-RateLimit-Remaining") == "2")
        #expect(Self.cheapLogin(h).header("X-RateLimit-Remaining") == "2")
        // A garbage hop is not used as a key: it falls back to the peer.
        #expect(Self.cheapLogin(h, headers: [("X-Forwarded-For", "not an address")]).header("X-RateLimit-Remaining") == "1")

        // The resolved address is what the rest of the app sees too (sessions record it).
        let account = try h.register(email: "proxied@example.com", headers: [("X-Forwarded-For", "198.51.100.20")])
        let row = try h.database.read { db in
            try db.queryOne("SELECT client_ip FROM sessions WHERE user_id = ?", Int64(account.userID)!)
        }
        #expect(row?.string("client_ip") == "198.51.100.20")
    }

    /// Issue 12 "Per-IP limits key IPv6 by /64": two addresses of one /64 share the route bucket and the
    /// persistent per-IP login limit; the next /64 has its own.
    @Test func perIPLimitsKeyIPv6By64_routeAndLoginLimits() throws {
        let h = try Self.harness { config in
            config.trustedProxies = ["127.0.0.1"]
            config.loginIPLimit = RateLimit(2, per: 60_000)
        }
        defer { h.stop() }
        let a = [("X-Forwarded-For", "2001:db8:1:2::a")]
        let b = [("X-Forwarded-For", "2001:db8:1:2:ffff::b")]
        let other = [("X-Forwarded-For", "2001:db8:1:3::a")]
        #expect(Self.cheapLogin(h, headers: a).header("X-RateLimit-Remaining") == "2")
        #expect(Self.cheapLogin(h, headers: b).header("X-RateLimit-Remaining") == "1")
        #expect(Self.cheapLogin(h, headers: other).header("X-RateLimit-Remaining") == "2")

        h.clock.advance(milliseconds: 60_000)
        #expect(h.login("x1@example.com", "wrong password", headers: a).status == 400)
        #expect(h.login("x2@example.com", "wrong password", headers: b).status == 400)
        let limited = h.login("x3@example.com", "wrong password", headers: [("X-Forwarded-For", "2001:db8:1:2::c")])
        #expect(limited.status == 429 && errorCode(limited) == "RATE_LIMITED", "\(limited.body)")
        #expect(h.login("x4@example.com", "wrong password", headers: other).status == 400)
        #expect(try h.count("rate_limits", where: "key = 'login:ip:2001:db8:1:2::/64'") == 1)
    }

    @Test func bucketOverride_fromConfigFile() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", """
            [ratelimit]
            enabled = true
            buckets = ["auth:login=2/1m"]

            [server]
            trusted_proxies = ["10.0.0.2"]
            """)
        let loaded = try ConfigLoader.load(file: dir.file("c.toml"), environment: [:])
        #expect(loaded.rateLimitsEnabled)
        #expect(loaded.rateLimitOverrides == ["auth:login": RateLimit(2, per: 60_000)])
        #expect(loaded.trustedProxies == ["10.0.0.2"])
        dir.write("bad.toml", """
            [ratelimit]
            buckets = ["auth:nonsense=2/1m"]
            """)
        #expect(throws: ConfigError.self) { try ConfigLoader.load(file: dir.file("bad.toml"), environment: [:]) }

        let h = try Self.harness { $0.rateLimitOverrides = loaded.rateLimitOverrides }
        defer { h.stop() }
        let first = Self.cheapLogin(h)
        #expect(first.header("X-RateLimit-Limit") == "2")
        #expect(first.header("X-RateLimit-Reset-After") == "30.000")
        #expect(Self.cheapLogin(h).status == 400)
        #expect(Self.cheapLogin(h).status == 429)
        // Other buckets keep their defaults.
        #expect(h.request("GET", "/auth/sessions").header("X-RateLimit-Limit") == "40")
    }

    @Test func disabled_noHeadersNoRefusals() throws {
        let h = try AccountsHarness { config in
            config.rateLimitsEnabled = false
            config.globalRateLimit = RateLimit(1, per: 60_000)
            config.rateLimitOverrides = ["auth:login": RateLimit(1, per: 60_000)]
        }
        defer { h.stop() }
        for _ in 0..<5 {
            let r = Self.cheapLogin(h)
            #expect(r.status == 400)
            #expect(Abuse.rateLimitHeaders(r).isEmpty)
            #expect(r.header("Retry-After") == nil)
        }
    }

    @Test func refusalsAreAudited() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let ua = [("User-Agent", "LimitProbe/1.0")]
        for _ in 0..<3 { _ = Self.cheapLogin(h, headers: ua) }
        #expect(Self.cheapLogin(h, headers: ua).status == 429)
        let rows = try auditRows(h.running.app).filter { $0.event == "rate_limit" }
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.outcome == "refused")
        #expect(row.detail == "auth:login")
        #expect(row.ip == "127.0.0.1")
        #expect(row.userAgent == "LimitProbe/1.0")

        // An authenticated refusal names the user (every call is keyed by the user, the first, uncached, too).
        let hm = try Self.harness { $0.globalRateLimit = RateLimit(2, per: 60_000) }
        defer { hm.stop() }
        let user = try hm.register(email: "limited@example.com")
        #expect(hm.me(user.token).status == 200)
        #expect(hm.me(user.token).status == 200)
        #expect(hm.me(user.token).status == 429)
        let userRows = try auditRows(hm.running.app).filter { $0.event == "rate_limit" }
        #expect(userRows.last?.userID == user.userID)
        #expect(userRows.last?.detail == "global")
    }
}
