import FluxerPersistence
import SQLite

/// A rate: `count` events per `windowMilliseconds`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Events allowed per window (also the burst).
    public var count: Int
    /// The window.
    public var windowMilliseconds: Int64

    /// A rate from its parts.
    public init(_ count: Int, per windowMilliseconds: Int64) {
        self.count = count
        self.windowMilliseconds = windowMilliseconds
    }

    /// Parses `N/<duration>` with s, m, h or d units, e.g. `5/15m`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Int(parts[0]), n > 0, n <= 1_000_000,
              let unit = parts[1].last, let amount = Int64(parts[1].dropLast()), amount > 0, amount <= 100_000
        else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1_000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        self.init(n, per: amount * scale)
    }

    /// `N/<ms>ms`.
    public var description: String { "\(count)/\(windowMilliseconds)ms" }
}

/// The outcome of one attempt.
public enum LimitDecision: Sendable, Equatable {
    case allowed
    /// Refused; try again after this many milliseconds.
    case limited(retryAfterMilliseconds: Int64)
}

/// Persistent GCRA limiter for security-relevant attempts (login, password reset): state lives in SQLite so a
/// restart does not reset an attacker's budget. GCRA: emission interval T = window / count, burst = count;
/// an attempt at `now` is allowed when TAT − now ≤ window − T, and then TAT = max(TAT, now) + T.
public enum AttemptLimiter {
    /// Counts one attempt against `key`, inside the caller's write transaction.
    public static func hit(_ key: String, limit: RateLimit, now: Int64, in db: SQLTransaction) throws -> LimitDecision {
        let interval = max(1, limit.windowMilliseconds / Int64(limit.count))
        let tolerance = limit.windowMilliseconds - interval
        let stored = try RateLimitStore.tat(key: key, in: db) ?? now
        let tat = max(stored, now)
        if tat - now > tolerance {
            return .limited(retryAfterMilliseconds: tat - now - tolerance)
        }
        try RateLimitStore.setTAT(key: key, tat: tat + interval, in: db)
        return .allowed
    }
}

extension APIError {
    /// 429 `RATE_LIMITED` with `Retry-After` and `retry_after`: the same whole number of seconds, rounded up and
    /// at least 1, as the real server sends (fluxer-api.md §12).
    public static func rateLimited(retryAfterMilliseconds ms: Int64, global: Bool = false) -> APIError {
        let seconds = max(1, (ms + 999) / 1000)
        return APIError(.tooManyRequests, code: "RATE_LIMITED", message: "You're being rate limited.",
                        extra: [("global", .bool(global)), ("retry_after", .int(seconds))],
                        headers: ["Retry-After": String(seconds)])
    }
}
