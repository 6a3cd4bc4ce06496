import CoreMetrics
import HTTPServer
import FluxerDomain

/// The rate limits: the global limit and the route's bucket (fluxer-api.md §12). Limited routes carry
/// `X-RateLimit-*` headers; a refusal is 429 `RATE_LIMITED` with `Retry-After` and `X-RateLimit-Global`.
///
/// The key, the same way for every request: `user:<id>` when the request's credential identifies a user (a
/// session, a bot or an OAuth2 bearer, whether the cache knew it or the database), `ip:<addr>` otherwise (no
/// credential, or a refused one). A credential the event loop cannot decide from memory is counted on the
/// worker, after its one lookup (`RequestFilters`), so a token's first request counts where its later ones do.
package struct RateLimitFilter: Sendable {
    package let limiter = RateLimiter<Key>()
    package let config: Config
    package let accounts: any AccountsCore
    /// What each route is limited by, indexed by `Router.Route.index`: decided once when the routes are known,
    /// so a request costs an array index instead of a set lookup and a switch over every bucketed pattern.
    private let policies: [Policy]
    /// The buckets in use, indexed by `Policy.bucket`, with their refusal counters
    /// (`fluxer_rate_limit_refusals_total{limiter="request"}`), resolved once.
    private let table: [Bucket]
    private let globalRefusals: CoreMetrics.Counter

    /// One limiter key: the caller (a user id, or the client address when no user is identified) and the bucket
    /// (`Key.global` for the global limit). A value with no heap allocation for a user, and at most the
    /// address's (short, usually inline) string otherwise.
    package struct Key: Hashable, Sendable {
        package var user: UInt64
        package var address: String
        package var bucket: Int32
        package static let global: Int32 = -1
    }

    private struct Policy: Sendable {
        var limited: Bool
        var bucket: Int32?
    }

    private struct Bucket: Sendable {
        let name: String
        let limit: RateLimit
        let refusals: CoreMetrics.Counter
    }

    /// The filter for a router's routes (`routes[i].index == i`).
    package init(config: Config, accounts: any AccountsCore, routes: [Router.Route]) {
        self.config = config
        self.accounts = accounts
        let buckets = RateLimitBuckets.defaults.merging(config.rateLimitOverrides) { $1 }
        let metrics = accounts.context.metrics
        var table: [Bucket] = []
        var policies: [Policy] = []
        for route in routes {
            precondition(route.index == policies.count, "routes must be in index order")
            let limited = !RateLimitBuckets.exempt.contains(route.pattern)
            var bucket: Int32?
            if let name = RateLimitBuckets.name(method: route.method, pattern: route.pattern), let limit = buckets[name] {
                if let existing = table.firstIndex(where: { $0.name == name }) {
                    bucket = Int32(existing)
                } else {
                    bucket = Int32(table.count)
                    table.append(Bucket(name: name, limit: limit, refusals: metrics.refusalCounter(limiter: "request", bucket: name)))
                }
            }
            policies.append(Policy(limited: limited, bucket: bucket))
        }
        self.policies = policies
        self.table = table
        globalRefusals = metrics.refusalCounter(limiter: "request", bucket: "global")
    }

    /// Whether the request is limited at all (limits on, its route not exempt).
    package func applies(to request: HTTPRequest) -> Bool {
        guard config.rateLimitsEnabled else { return false }
        let index = request.routeIndex
        guard index >= 0 && index < policies.count else { return !RateLimitBuckets.exempt.contains(request.routePattern) }
        return policies[index].limited
    }

    /// Counts the request, keyed by its caller; a response when it is refused. The client address must be
    /// resolved already (`ClientAddress`).
    package func apply(_ request: inout HTTPRequest, caller: Caller) -> HTTPResponse? {
        let now = accounts.now
        let userID = caller.principal?.user.id
        var key = Key(user: userID ?? 0, address: userID == nil ? ClientKey.of(request.remoteAddress) : "", bucket: Key.global)
        let global = limiter.hit(key, limit: config.globalRateLimit, now: now)
        guard global.allowed else {
            globalRefusals.increment()
            return limited(global, bucket: "global", global: true, request: request, userID: userID)
        }
        let index = request.routeIndex
        guard index >= 0 && index < policies.count, let slot = policies[index].bucket else { return nil }
        let bucket = table[Int(slot)]
        key.bucket = slot
        let decision = limiter.hit(key, limit: bucket.limit, now: now)
        guard decision.allowed else {
            bucket.refusals.increment()
            return limited(decision, bucket: bucket.name, global: false, request: request, userID: userID)
        }
        request.responseHeaders = headers(decision, bucket: bucket.name, now: now)
        return nil
    }

    private func headers(_ d: RateLimiter.Decision, bucket: String, now: Int64) -> HTTPHeaders {
        var h = HTTPHeaders()
        h.add("X-RateLimit-Limit", String(d.limit))
        h.add("X-RateLimit-Remaining", String(d.remaining))
        h.add("X-RateLimit-Reset", String((d.resetAt + 999) / 1000))
        h.add("X-RateLimit-Reset-After", Self.seconds(max(0, d.resetAt - now)))
        h.add("X-RateLimit-Bucket", bucket)
        return h
    }

    private func limited(_ d: RateLimiter.Decision, bucket: String, global: Bool, request: HTTPRequest, userID: UInt64?) -> HTTPResponse {
        accounts.audit.record("rate_limit", outcome: "refused", userID: userID, request: request, detail: bucket)
        var error = APIError.rateLimited(retryAfterMilliseconds: d.retryAfter, global: global)
        for (name, value) in headers(d, bucket: bucket, now: accounts.now) where name != "X-RateLimit-Remaining" {
            error.headers.add(name, value)
        }
        error.headers.add("X-RateLimit-Remaining", "0")
        error.headers.add("X-RateLimit-Global", global ? "true" : "false")
        return error.response
    }

    package static func seconds(_ ms: Int64) -> String {
        let s = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - s.count))\(s)"
    }
}

/// The client's address: the socket peer, or — when the peer is a trusted proxy — the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
package enum ClientAddress {
    package static func resolve(_ request: HTTPRequest, trustedProxies: Set<String>) -> String {
        let peer = request.remoteAddress
        guard !trustedProxies.isEmpty, trustedProxies.contains(peer) else { return peer }
        let hops = request.headers.values("X-Forwarded-For")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIIWhitespace() }
        for hop in hops.reversed() where !hop.isEmpty && !trustedProxies.contains(hop) {
            guard hop.utf8.count <= 45, hop.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) || $0 == 0x2E || $0 == 0x3A })
            else { return peer }
            return hop
        }
        return peer
    }
}
