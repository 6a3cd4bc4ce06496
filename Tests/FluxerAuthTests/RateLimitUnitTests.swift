import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

/// The in-memory GCRA behind the route limits (fluxer-api.md §12): burst = limit, one token back per emission
/// interval, remaining / reset / retry values, independent keys, pruning that keeps live state.
@Suite struct RateLimitUnitTests {
    let start: Int64 = 1_700_000_000_000

    /// Issue 12 "Per-IP limits key IPv6 by the full address: key by /64": the one function every per-client
    /// limit keys on. IPv4 as it is, IPv6 by its /64 in one canonical spelling, IPv4-mapped IPv6 as IPv4.
    @Test func perIPLimitsKeyIPv6By64_ipv4Full_mappedAsIPv4() {
        #expect(ClientKey.of("203.0.113.7") == "203.0.113.7")
        #expect(ClientKey.of("203.0.113.8") == "203.0.113.8")
        // Every address of one /64 is one key, however it is written.
        let key = ClientKey.of("2001:db8:aa:bb::1")
        #expect(key == "2001:db8:aa:bb::/64")
        for other in ["2001:db8:aa:bb:ffff:ffff:ffff:ffff", "2001:0DB8:00AA:00BB:0:0:0:2", "[2001:db8:aa:bb::3]", "2001:db8:aa:bb::4%eth0"] {
            #expect(ClientKey.of(other) == key, "\(other)")
        }
        // The next /64 is another key.
        #expect(ClientKey.of("2001:db8:aa:bc::1") == "2001:db8:aa:bc::/64")
        #expect(ClientKey.of("::1") == "0:0:0:0::/64")
        // IPv4-mapped: the IPv4 client it is (a dual-stack socket reports IPv4 clients so).
        #expect(ClientKey.of("::ffff:203.0.113.7") == "203.0.113.7")
        #expect(ClientKey.of("::FFFF:cb00:7107") == "203.0.113.7")
        // Not an address: kept (bounded), never merged with a real one.
        #expect(ClientKey.of("") == "")
        #expect(ClientKey.of("unix") == "unix")
        #expect(ClientKey.of("nonsense:zz") == "nonsense:zz")
        #expect(ClientKey.of(String(repeating: "a:", count: 100)).utf8.count == 64)
    }

    @Test func burstIsTheLimit_thenRefused_remainingCountsDown() {
        let limiter = RateLimiter<String>()
        let limit = RateLimit(3, per: 3_000)
        let decisions = (0..<3).map { _ in limiter.hit("k", limit: limit, now: start) }
        #expect(decisions.map(\.allowed) == [true, true, true])
        #expect(decisions.map(\.remaining) == [2, 1, 0])
        #expect(decisions.map(\.limit) == [3, 3, 3])
        // The reset time is the new TAT: one emission interval (1 s) per hit.
        #expect(decisions.map(\.resetAt) == [start + 1_000, start + 2_000, start + 3_000])
        #expect(decisions.map(\.retryAfter) == [0, 0, 0])

        let refused = limiter.hit("k", limit: limit, now: start)
        #expect(refused == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetAt: start + 3_000, retryAfter: 1_000))
        // Refusals do not consume anything: the wait stays the same.
        let again = limiter.hit("k", limit: limit, now: start + 400)
        #expect(!again.allowed && again.retryAfter == 600)
    }

    @Test func emissionIntervalRefillsOneAtATime() {
        let limiter = RateLimiter<String>()
        let limit = RateLimit(3, per: 3_000)
        for _ in 0..<3 { #expect(limiter.hit("k", limit: limit, now: start).allowed) }
        #expect(!limiter.hit("k", limit: limit, now: start + 999).allowed)
        let refilled = limiter.hit("k", limit: limit, now: start + 1_000)
        #expect(refilled.allowed && refilled.remaining == 0 && refilled.resetAt == start + 4_000)
        // Only one came back.
        let next = limiter.hit("k", limit: limit, now: start + 1_000)
        #expect(!next.allowed && next.retryAfter == 1_000)
        // Two intervals later, two are back.
        #expect(limiter.hit("k", limit: limit, now: start + 3_000).remaining == 1)
        #expect(limiter.hit("k", limit: limit, now: start + 3_000).remaining == 0)
        #expect(!limiter.hit("k", limit: limit, now: start + 3_000).allowed)
        // After a full idle window the whole burst is back.
        let idle = start + 3_000 + 3_000 + 1_000
        #expect(limiter.hit("k", limit: limit, now: idle).remaining == 2)
    }

    @Test func unevenWindow_burstStillExactlyTheLimit() {
        // 10 s / 3 does not divide evenly (interval 3333.333 ms, kept in microseconds): still three, not four.
        let limiter = RateLimiter<String>()
        let limit = RateLimit(3, per: 10_000)
        let allowed = (0..<10).filter { _ in limiter.hit("k", limit: limit, now: start).allowed }.count
        #expect(allowed == 3)
        let refused = limiter.hit("k", limit: limit, now: start)
        // 4 × 3333.333 − 10 000 = 3333.332 ms, rounded up to whole milliseconds.
        #expect(refused.retryAfter == 3_334)
        #expect(limiter.hit("k", limit: limit, now: start + refused.retryAfter).allowed)
    }

    @Test func keysAreIndependent() {
        let limiter = RateLimiter<String>()
        let limit = RateLimit(2, per: 60_000)
        #expect(limiter.hit("ip:a:auth:login", limit: limit, now: start).allowed)
        #expect(limiter.hit("ip:a:auth:login", limit: limit, now: start).allowed)
        #expect(!limiter.hit("ip:a:auth:login", limit: limit, now: start).allowed)
        let other = limiter.hit("ip:b:auth:login", limit: limit, now: start)
        #expect(other.allowed && other.remaining == 1)
        let otherBucket = limiter.hit("ip:a:auth:register", limit: limit, now: start)
        #expect(otherBucket.allowed && otherBucket.remaining == 1)
    }

    /// Pushes one shard over the pruning threshold with expired keys; a live key in the same shard keeps its state.
    @Test func pruningDropsOnlyExpiredState() {
        let limiter = RateLimiter<String>()
        let shardOf = { (key: String) in Int(UInt(bitPattern: key.hashValue) % 16) }
        let live = "user:live:auth:login"
        let shard = shardOf(live)
        let long = RateLimit(1, per: 3_600_000)
        #expect(limiter.hit(live, limit: long, now: start).allowed)
        #expect(!limiter.hit(live, limit: long, now: start).allowed)

        // 50 001 short-lived keys in the live key's shard (TAT = start + 1 ms).
        let short = RateLimit(1, per: 1)
        var added = 0
        var i = 0
        while added <= 50_001 {
            let key = "ip:10.\(i):x"
            i += 1
            guard shardOf(key) == shard else { continue }
            _ = limiter.hit(key, limit: short, now: start)
            added += 1
        }
        // Later hits in that shard prune; the live key is still limited, an expired one is fresh.
        let later = start + 60_000
        let refused = limiter.hit(live, limit: long, now: later)
        #expect(!refused.allowed)
        #expect(refused.retryAfter == 3_600_000 - 60_000)
        #expect(limiter.hit("ip:10.0:x", limit: RateLimit(2, per: 1_000), now: later).remaining == 1)
    }
}
