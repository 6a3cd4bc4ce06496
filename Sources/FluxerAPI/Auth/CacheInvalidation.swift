import Dispatch
import FluxerCrypto
import FluxerPersistence
import Logging
import Postgres

/// Cache invalidations collected during a write and applied after it commits; on PostgreSQL also announced to
/// every other node on the database (`CacheInvalidationBus`). Also carries the credentials the write issued
/// and revoked, counted in the metrics after the commit (a PostgreSQL retry starts the tally over).
package struct Invalidations {
    /// Credentials forgotten one by one, by the SHA-256 the principal cache keys them by: session tokens, and
    /// OAuth2 access tokens superseded by a refresh (`s<hex>` items of the payload either way).
    package var credentials: [[UInt8]] = []
    package var users: [UInt64] = []
    package var tokens = TokenTally()

    package init() {}

    package var isEmpty: Bool { credentials.isEmpty && users.isEmpty }
}

/// Credentials issued and revoked by one write, for `fluxer_tokens_issued_total` / `fluxer_tokens_revoked_total`.
package struct TokenTally {
    private var entries: [(kind: Metrics.TokenKind, revoked: Bool, count: Int)] = []

    package init() {}

    package mutating func issued(_ kind: Metrics.TokenKind, count: Int = 1) { entries.append((kind, false, count)) }
    package mutating func revoked(_ kind: Metrics.TokenKind, count: Int = 1) { entries.append((kind, true, count)) }

    /// Adds the tally to `metrics` (after the commit).
    package func record(in metrics: Metrics) {
        for entry in entries {
            if entry.revoked { metrics.revoked(entry.kind, count: entry.count) } else { metrics.issued(entry.kind, count: entry.count) }
        }
    }
}

/// Revocations reach every node's principal cache through PostgreSQL `LISTEN`/`NOTIFY` (issue 13: "a revoke on
/// one node stops the token on every node within 1 s"); processes sharing one SQLite file poll a log table
/// instead (`CacheInvalidationPoller`).
///
/// - The writer announces its invalidations with `pg_notify` inside the very transaction that revokes, so the
///   notification is delivered when (and only if) the revocation commits (PostgreSQL docs, SQL command `NOTIFY`),
///   and a retried transaction's discarded attempts announce nothing.
/// - Each node listens on one dedicated connection and applies what it hears to its cache. While the listener
///   is not listening (at start, after a dropped connection) the node could miss a revocation, so its cache is
///   suspended: every credential is checked against the database until the listener listens again. The cache
///   TTL (`security.session_cache_ttl_ms`) is not needed as the bound, but stays one.
///
/// Payload: comma-separated items, `s<64 hex>` for one credential's hash (a session or an access token) and
/// `u<decimal id>` for a user or bot, at most `maxPayloadBytes` per notification (PostgreSQL's limit is 8000 bytes);
/// longer lists are split.
package enum CacheInvalidationBus {
    package static let channel = "fluxer_auth_cache"
    package static let maxPayloadBytes = 7_000

    /// Announces `invalidations` from inside the transaction that makes them: `NOTIFY` on PostgreSQL; on SQLite a
    /// row of the log that every process sharing the file polls (`CacheInvalidationPoller`), since a CLI command
    /// or a second server on the same file cannot reach this process's memory otherwise.
    package static func publish(_ invalidations: Invalidations, now: Int64 = Clock.wallMilliseconds(), in db: SQLTransaction) throws {
        guard !invalidations.isEmpty else { return }
        for payload in payloads(invalidations) {
            switch db.dialect {
            case .postgres: try db.notify(channel: channel, payload: payload)
            case .sqlite: try CacheInvalidationStore.append(payload: payload, now: now, in: db)
            }
        }
    }

    package static func payloads(_ invalidations: Invalidations) -> [String] {
        let items = invalidations.credentials.map { "s" + Hex.encode($0) } + invalidations.users.map { "u" + String($0) }
        var payloads: [String] = []
        var current = ""
        for item in items {
            if !current.isEmpty && current.utf8.count + 1 + item.utf8.count > maxPayloadBytes {
                payloads.append(current)
                current = ""
            }
            current += current.isEmpty ? item : "," + item
        }
        if !current.isEmpty { payloads.append(current) }
        return payloads
    }

    /// Parses a payload; unknown or malformed items are skipped (a newer node may announce more kinds).
    package static func parse(_ payload: String) -> Invalidations {
        var result = Invalidations()
        for item in payload.split(separator: ",") {
            guard let kind = item.first else { continue }
            let value = item.dropFirst()
            switch kind {
            case "s":
                if let bytes = Hex.decode(value), bytes.count == 32 { result.credentials.append(bytes) }
            case "u":
                if let id = UInt64(value) { result.users.append(id) }
            default:
                continue
            }
        }
        return result
    }

    package static func apply(_ invalidations: Invalidations, to cache: PrincipalCache) {
        for hash in invalidations.credentials { cache.invalidate(credential: hash) }
        for user in invalidations.users { cache.invalidate(user: user) }
    }
}

/// The node's ear on `CacheInvalidationBus`: a PostgreSQL listener whose events keep the principal cache honest.
package final class CacheInvalidationListener: Sendable {
    private let listener: PostgresListener

    /// Suspends the cache, then listens; the cache resumes once the listener listens. Waits up to
    /// `startupWait` for that first `LISTEN`, so that a node starts serving with its cache live (a node that
    /// cannot listen yet still serves, reading every credential from the database until it can).
    package init(configuration: PostgresConfiguration, cache: PrincipalCache, logger: Logger,
         startupWait: Duration = .seconds(5)) throws {
        cache.suspend()
        let firstListen = DispatchSemaphore(value: 0)
        listener = try PostgresListener(configuration: configuration, channels: [CacheInvalidationBus.channel]) { event in
            switch event {
            case .listening(let reconnected):
                cache.resume()
                if !reconnected { firstListen.signal() }
                if reconnected { logger.notice("cache invalidation listener reconnected; cache resumed") }
            case .notification(let notification):
                CacheInvalidationBus.apply(CacheInvalidationBus.parse(notification.payload), to: cache)
            case .disconnected(let error):
                if cache.isLive {
                    cache.suspend()
                    logger.warning("cache invalidation listener disconnected; every credential is read from the database until it reconnects",
                                   metadata: ["error": "\(error)"])
                }
            }
        }
        let (seconds, attoseconds) = startupWait.components
        let wait = Double(seconds) + Double(attoseconds) / 1e18
        if firstListen.wait(timeout: .now() + wait) == .timedOut {
            logger.warning("cache invalidation listener not listening yet; credentials are read from the database until it is")
        }
    }

    package func stop() { listener.stop() }

    /// The listening backend (for tests that cut it off).
    package var backendProcessID: Int32? { listener.backendProcessID }
}
