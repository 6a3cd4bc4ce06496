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
    package let limiter = RateLimiter()
    package let config: Config
    package let buckets: [String: RateLimit]
    package let accounts: any AccountsCore
    /// `fluxer_rate_limit_refusals_total{limiter="request"}` by bucket (and `global`), resolved once.
    private let refusals: [String: CoreMetrics.Counter]

    package init(config: Config, accounts: any AccountsCore) {
        self.config = config
        self.accounts = accounts
        buckets = RateLimitBuckets.defaults.merging(config.rateLimitOverrides) { $1 }
        let metrics = accounts.context.metrics
        refusals = Dictionary(uniqueKeysWithValues: (Array(buckets.keys) + ["global"]).map {
            ($0, metrics.refusalCounter(limiter: "request", bucket: $0))
        })
    }

    /// Whether the request is limited at all (limits on, its route not exempt).
    package func applies(to request: HTTPRequest) -> Bool {
        config.rateLimitsEnabled && !RateLimitBuckets.exempt.contains(request.routePattern)
    }

    /// Counts the request, keyed by its caller; a response when it is refused. The client address must be
    /// resolved already (`ClientAddress`).
    package func apply(_ request: inout HTTPRequest, caller: Caller) -> HTTPResponse? {
        let now = accounts.now
        let userID = caller.principal?.user.id
        let client = userID.map { "user:\($0)" } ?? "ip:\(ClientKey.of(request.remoteAddress))"
        let global = limiter.hit(client + ":global", limit: config.globalRateLimit, now: now)
        guard global.allowed else { return limited(global, bucket: "global", global: true, request: request, userID: userID) }
        guard let name = RateLimitBuckets.name(method: request.method, pattern: request.routePattern), let limit = buckets[name] else {
            return nil
        }
        let decision = limiter.hit(client + ":" + name, limit: limit, now: now)
        guard decision.allowed else { return limited(decision, bucket: name, global: false, request: request, userID: userID) }
        request.responseHeaders = headers(decision, bucket: name, now: now)
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
        refusals[bucket]?.increment()
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
