import CoreMetrics
import Synchronization

/// The server's metrics, recorded through swift-metrics: which backend exports them is the composition root's
/// choice (FluxerApp renders a Prometheus registry on `GET /metrics`). Handles are resolved once, at start or
/// on first use, so recording is an atomic add (counters) or a short lock (histograms), never a lookup.
///
/// Gauges and counters whose truth lives elsewhere (open connections, queue depths, the outbox backlog, the
/// database's busy retries) are read when `/metrics` is scraped: see `bind(_:)`.
public final class Metrics: Sendable {
    /// What the exporter needs besides swift-metrics: the family's help text and, for histograms, its buckets.
    public struct Family: Sendable {
        /// The Prometheus name.
        public let name: String
        /// `counter`, `gauge` or `histogram`.
        public let type: String
        /// Label names, in the order they are exported.
        public let labels: [String]
        /// The `# HELP` text.
        public let help: String
    }

    /// Every family this server exports, for the exporter's `# HELP` lines and the README's table.
    public static let families: [Family] = [
        Family(name: "fluxer_http_requests_total", type: "counter", labels: ["method", "route", "status"],
               help: "Requests answered, by method, route pattern (\"-\" when none matched) and status."),
        Family(name: "fluxer_http_request_duration_seconds", type: "histogram", labels: ["method", "route"],
               help: "Time from a complete request to its queued response, by method and route pattern."),
        Family(name: "fluxer_http_unexpected_errors_total", type: "counter", labels: [],
               help: "Handler errors answered as a bare 500."),
        Family(name: "fluxer_http_open_connections", type: "gauge", labels: [], help: "Open client connections."),
        Family(name: "fluxer_worker_queue_depth", type: "gauge", labels: ["pool"],
               help: "Jobs waiting for a thread: http (request handlers) and argon2 (password hashing)."),
        Family(name: "fluxer_logins_total", type: "counter", labels: ["outcome"],
               help: "Sign-in attempts that reached a decision, by outcome."),
        Family(name: "fluxer_tokens_issued_total", type: "counter", labels: ["kind"], help: "Credentials issued, by kind."),
        Family(name: "fluxer_tokens_revoked_total", type: "counter", labels: ["kind"],
               help: "Credentials revoked, by kind (sessions one by one; an OAuth2 grant revocation once, whatever its tokens)."),
        Family(name: "fluxer_rate_limit_refusals_total", type: "counter", labels: ["limiter", "bucket"],
               help: "Requests refused with 429, by limiter and bucket."),
        Family(name: "fluxer_database_busy_retries_total", type: "counter", labels: ["backend"],
               help: "Database retries: SQLite waits for a lock held elsewhere; PostgreSQL transactions run again."),
        Family(name: "fluxer_outbox_backlog", type: "gauge", labels: [], help: "Outbox messages neither delivered nor given up."),
        Family(name: "fluxer_uptime_seconds", type: "gauge", labels: [], help: "Seconds since start."),
    ]

    /// Request latency buckets: 0.1 ms (a cached token check) to 5 s (a login under load), in nanoseconds.
    public static let latencyBucketsNanoseconds: [Int64] = [
        100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000,
    ]

    /// How a sign-in attempt ended.
    public enum LoginOutcome: Int, CaseIterable, Sendable {
        /// A session was issued.
        case success
        /// The password was right; the second factor is next (an MFA ticket was issued).
        case mfaRequired
        /// A wrong password, unknown email, locked account or unknown passkey.
        case failure
        /// A wrong second factor.
        case mfaFailure
        /// Refused by policy (an SSO domain or linking rule, an unverified email for a passkey).
        case refused

        var label: String {
            switch self {
            case .success: "success"
            case .mfaRequired: "mfa_required"
            case .failure: "failure"
            case .mfaFailure: "mfa_failure"
            case .refused: "refused"
            }
        }
    }

    /// Credentials counted by `fluxer_tokens_issued_total` and `fluxer_tokens_revoked_total`.
    public enum TokenKind: Int, CaseIterable, Sendable {
        /// A user session (`flx_…`).
        case session
        /// An OAuth2 authorization code.
        case oauthCode
        /// An OAuth2 access token.
        case oauthAccess
        /// An OAuth2 refresh token.
        case oauthRefresh
        /// An OAuth2 grant (a family of access and refresh tokens).
        case oauthGrant
        /// A bot token.
        case bot
        /// A sudo-mode token (`X-Fluxer-Sudo-Mode-JWT`).
        case sudo

        var label: String {
            switch self {
            case .session: "session"
            case .oauthCode: "oauth_code"
            case .oauthAccess: "oauth_access"
            case .oauthRefresh: "oauth_refresh"
            case .oauthGrant: "oauth_grant"
            case .bot: "bot"
            case .sudo: "sudo"
            }
        }

        static let issued: [TokenKind] = [.session, .oauthCode, .oauthAccess, .oauthRefresh, .oauthGrant, .bot, .sudo]
        static let revoked: [TokenKind] = [.session, .oauthAccess, .oauthGrant, .bot]
    }

    /// Values read at scrape time from the parts that own them.
    public struct Sources: Sendable {
        /// Open client connections.
        public var openConnections: @Sendable () -> Int = { 0 }
        /// Request-handler jobs waiting for a worker.
        public var httpQueue: @Sendable () -> Int = { 0 }
        /// Password-hash jobs waiting for a thread.
        public var argon2Queue: @Sendable () -> Int = { 0 }
        /// Outbox messages pending.
        public var outboxBacklog: @Sendable () -> Int = { 0 }
        /// `sqlite` or `postgres`.
        public var databaseBackend = "sqlite"
        /// The database's retry count since it opened (`DataStore.busyRetries`).
        public var databaseBusyRetries: @Sendable () -> UInt64 = { 0 }
        /// SQLite's group commit: batches of more than one write body, and the bodies they held (zero on
        /// PostgreSQL, whose transactions commit in parallel).
        public var databaseGroupCommits: @Sendable () -> (batches: UInt64, writes: UInt64) = { (0, 0) }
        /// SQLite's `fdatasync` calls on the log after commits (`Database.logSyncCounts`; zero on PostgreSQL).
        public var databaseLogSyncs: @Sendable () -> UInt64 = { 0 }

        /// Sources that all read zero.
        public init() {}
    }

    /// The factory every handle comes from (requests' handles too, see `RequestMetrics`).
    public let factory: any MetricsFactory
    private let exporter: @Sendable () -> [UInt8]
    private let startedAt: Int64
    private let logins: [CoreMetrics.Counter]
    private let issued: [CoreMetrics.Counter?]
    private let revoked: [CoreMetrics.Counter?]
    private let refusals = Mutex<[String: CoreMetrics.Counter]>([:])
    private let scrape = Mutex<Scrape>(Scrape())

    private struct Scrape {
        var sources = Sources()
        var gauges: Gauges?
        var busyRetriesSeen: UInt64 = 0
        var groupCommitsSeen: (batches: UInt64, writes: UInt64) = (0, 0)
        var logSyncsSeen: UInt64 = 0
    }

    private struct Gauges {
        let openConnections, httpQueue, argon2Queue, outboxBacklog, uptime: Meter
        let busyRetries: CoreMetrics.Counter
        let groupCommits, groupedWrites, logSyncs: CoreMetrics.Counter
    }

    /// Metrics made by `factory`; `exporter` renders everything the factory's handles hold (Prometheus text).
    public init(factory: any MetricsFactory, now: Int64, exporter: @escaping @Sendable () -> [UInt8]) {
        self.factory = factory
        self.exporter = exporter
        self.startedAt = now
        logins = LoginOutcome.allCases.map {
            CoreMetrics.Counter(label: "fluxer_logins_total", dimensions: [("outcome", $0.label)], factory: factory)
        }
        issued = TokenKind.allCases.map { kind in
            TokenKind.issued.contains(kind)
                ? CoreMetrics.Counter(label: "fluxer_tokens_issued_total", dimensions: [("kind", kind.label)], factory: factory) : nil
        }
        revoked = TokenKind.allCases.map { kind in
            TokenKind.revoked.contains(kind)
                ? CoreMetrics.Counter(label: "fluxer_tokens_revoked_total", dimensions: [("kind", kind.label)], factory: factory) : nil
        }
    }

    /// Sets where scrape-time values come from (once the server and the services exist).
    public func bind(_ sources: Sources) {
        let factory = self.factory
        scrape.withLock { s in
            s.sources = sources
            s.busyRetriesSeen = 0
            s.groupCommitsSeen = (0, 0)
            s.logSyncsSeen = 0
            s.gauges = Gauges(
                openConnections: Meter(label: "fluxer_http_open_connections", factory: factory),
                httpQueue: Meter(label: "fluxer_worker_queue_depth", dimensions: [("pool", "http")], factory: factory),
                argon2Queue: Meter(label: "fluxer_worker_queue_depth", dimensions: [("pool", "argon2")], factory: factory),
                outboxBacklog: Meter(label: "fluxer_outbox_backlog", factory: factory),
                uptime: Meter(label: "fluxer_uptime_seconds", factory: factory),
                busyRetries: CoreMetrics.Counter(label: "fluxer_database_busy_retries_total",
                                                 dimensions: [("backend", sources.databaseBackend)], factory: factory),
                groupCommits: CoreMetrics.Counter(label: "fluxer_database_group_commits_total", factory: factory),
                groupedWrites: CoreMetrics.Counter(label: "fluxer_database_grouped_writes_total", factory: factory),
                logSyncs: CoreMetrics.Counter(label: "fluxer_database_log_syncs_total", factory: factory))
        }
    }

    // MARK: - Recording

    /// A sign-in attempt decided.
    public func login(_ outcome: LoginOutcome) {
        logins[outcome.rawValue].increment()
    }

    /// `count` credentials of `kind` issued (call after the transaction that stored them committed).
    public func issued(_ kind: TokenKind, count: Int = 1) {
        guard count > 0 else { return }
        issued[kind.rawValue]?.increment(by: count)
    }

    /// `count` credentials of `kind` revoked (call after the transaction that revoked them committed).
    public func revoked(_ kind: TokenKind, count: Int = 1) {
        guard count > 0 else { return }
        revoked[kind.rawValue]?.increment(by: count)
    }

    /// The counter of 429s from `limiter` for `bucket` (both from fixed vocabularies: never a client's value).
    /// Resolve it once where the bucket is known in advance (`RateLimitFilter`); `rateLimited` looks it up.
    public func refusalCounter(limiter: String, bucket: String) -> CoreMetrics.Counter {
        let key = limiter + "|" + bucket
        return refusals.withLock { table in
            if let counter = table[key] { return counter }
            let counter = CoreMetrics.Counter(label: "fluxer_rate_limit_refusals_total",
                                              dimensions: [("limiter", limiter), ("bucket", bucket)], factory: factory)
            table[key] = counter
            return counter
        }
    }

    /// One 429 from `limiter` for `bucket`.
    public func rateLimited(limiter: String, bucket: String) {
        refusalCounter(limiter: limiter, bucket: bucket).increment()
    }

    // MARK: - Scraping

    /// Reads the scrape-time values, then renders every metric (Prometheus text exposition format 0.0.4).
    public func render(now: Int64) -> [UInt8] {
        scrape.withLock { s in
            guard let gauges = s.gauges else { return }
            gauges.openConnections.set(s.sources.openConnections())
            gauges.httpQueue.set(s.sources.httpQueue())
            gauges.argon2Queue.set(s.sources.argon2Queue())
            gauges.outboxBacklog.set(s.sources.outboxBacklog())
            gauges.uptime.set((now - startedAt) / 1000)
            // A counter only goes up: add what the database counted since the last scrape.
            let busy = s.sources.databaseBusyRetries()
            if busy > s.busyRetriesSeen {
                gauges.busyRetries.increment(by: busy - s.busyRetriesSeen)
                s.busyRetriesSeen = busy
            }
            let grouped = s.sources.databaseGroupCommits()
            if grouped.batches > s.groupCommitsSeen.batches {
                gauges.groupCommits.increment(by: grouped.batches - s.groupCommitsSeen.batches)
                gauges.groupedWrites.increment(by: grouped.writes - s.groupCommitsSeen.writes)
                s.groupCommitsSeen = grouped
            }
            let syncs = s.sources.databaseLogSyncs()
            if syncs > s.logSyncsSeen {
                gauges.logSyncs.increment(by: syncs - s.logSyncsSeen)
                s.logSyncsSeen = syncs
            }
        }
        return exporter()
    }
}
