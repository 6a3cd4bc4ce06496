/// How the outbox delivers: attempts, backoff and batching. Tests shrink the backoff.
public struct OutboxSettings: Sendable {
    /// Attempts before a message is given up (`failed_at` set). `outbox.max_attempts`.
    public var maxAttempts = 8
    /// Replace the body by `OutboxSettings.redactedBody` once delivered or given up (true outside dev mode).
    public var redactsBody = true
    /// The first retry waits this long; each later one twice as long.
    public var backoffBaseMilliseconds: Int64 = 1_000
    /// No retry waits longer than this (plus jitter, still capped).
    public var backoffCapMilliseconds: Int64 = 300_000
    /// Rows read per round.
    public var batchSize = 16
    /// Longest sleep between rounds, so rows written by another process are seen.
    public var pollMilliseconds = 1_000
    /// How long a claimed message is hidden from other nodes' outbox threads while one delivers it; longer than
    /// any driver's own timeout (the webhook's is 10 s). A node that dies mid-delivery leaves the message to be
    /// retried when the lease ends (at-least-once).
    public var leaseMilliseconds: Int64 = 60_000
    /// How long `stop()` waits for the delivery thread before leaving it (a driver call is bounded by its
    /// own timeout, so this only matters for a stuck driver).
    public var stopTimeoutMilliseconds = 15_000

    /// What a delivered body becomes outside dev mode, so tokens do not sit in the database.
    public static let redactedBody = "[redacted after delivery]"

    /// The defaults.
    public init() {}

    /// Settings from the configuration.
    public init(config: Config) {
        maxAttempts = config.outboxMaxAttempts
        redactsBody = !config.dev
    }
}
