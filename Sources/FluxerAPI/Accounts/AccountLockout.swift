import FluxerPersistence
import SQLite

/// Brute-force control per account (LG-01, LG-02): every failed proof — password, TOTP, SMS or backup code —
/// counts. The count decays: it is a GCRA bucket of `threshold` failures per `window` (state in `rate_limits`
/// under `lockout:user:<id>`, so it survives a restart, LG-04), one failure forgotten every window/threshold.
/// When `threshold` failures are in the bucket the account is locked until one has been forgotten: a delay,
/// not a hard lockout, so a sustained attack gets one guess per window/threshold and an attack that stops
/// leaves nothing behind. A lock blocks passwords and codes only; passkey and SSO sign-in never look at it.
/// A new SMS code does not reset the count; a successful proof does. A locked account answers exactly like a
/// wrong password (LG-03), after the same hashing work. `users.mfa_failures` and `users.mfa_locked_until`
/// mirror the bucket after each change (the count then, and the end of the lock) for the cached `User`.
package enum AccountLockout {
    /// The per-account failure budget: `threshold` failures per `window`.
    package struct Policy: Sendable, Equatable {
        package var threshold: Int
        package var window: Int64

        package init(threshold: Int, window: Int64) {
            self.threshold = threshold
            self.window = window
        }

        package init(_ config: Config) {
            self.init(threshold: config.lockoutThreshold, window: config.lockoutWindowMilliseconds)
        }

        /// How long one failure counts for, and a lock lasts.
        package var interval: Int64 { max(1, window / Int64(max(1, threshold))) }
    }

    package static func key(_ userID: UInt64) -> String { "lockout:user:\(userID)" }

    /// Counts a failure unless the account is locked right now (decided on the stored state, not on a possibly
    /// cached `User`); false when it was locked and nothing changed.
    @discardableResult
    package static func recordFailure(userID: UInt64, now: Int64, policy: Policy, in db: SQLTransaction) throws -> Bool {
        guard policy.threshold > 0 else { return true }
        let limit = RateLimit(policy.threshold, per: policy.interval * Int64(policy.threshold))
        guard case .allowed = try AttemptLimiter.hit(key(userID), limit: limit, now: now, in: db) else { return false }
        let tat = try RateLimitStore.tat(key: key(userID), in: db) ?? now
        let interval = policy.interval
        // Failures still counted: the bucket's level, rounded up.
        let failures = (tat - now + interval - 1) / interval
        // Locked while the next failure would be refused: until the level is below the threshold again.
        let lockedUntil: Int64? = failures >= Int64(policy.threshold) ? tat - interval * Int64(policy.threshold - 1) : nil
        try UserStore.setLockout(userID: userID, failures: failures, lockedUntil: lockedUntil, in: db)
        return true
    }

    /// Whether the account is locked now, from the database (a session's cached `User` may predate the lock).
    package static func isLocked(userID: UInt64, now: Int64, in db: SQLTransaction) throws -> Bool {
        (try UserStore.lockedUntil(userID: userID, in: db) ?? 0) > now
    }

    /// A successful sign-in or proof: the count starts over.
    package static func recordSuccess(userID: UInt64, in db: SQLTransaction) throws {
        try RateLimitStore.delete(key: key(userID), in: db)
        try UserStore.clearLockout(userID: userID, in: db)
    }
}
