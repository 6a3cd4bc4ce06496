import FluxerDomain
import SQLite

/// SQL for the persistent GCRA buckets (`rate_limits`: a key and its theoretical arrival time, Unix ms) that
/// `AttemptLimiter` and `AccountLockout` keep in the database, so a restart or another node sees the same
/// budget. Every function runs inside the caller's transaction.
package enum RateLimitStore: RateLimitStorage {
    /// The bucket's theoretical arrival time; nil when the key has no bucket.
    package static func tat(key: String, in db: SQLTransaction) throws -> Int64? {
        try db.queryOne("SELECT tat FROM rate_limits WHERE key = ?", key)?.int("tat")
    }

    /// Stores the bucket's new theoretical arrival time.
    package static func setTAT(key: String, tat: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO rate_limits (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat", key, tat)
    }

    /// Forgets the bucket.
    package static func delete(key: String, in db: SQLTransaction) throws {
        try db.run("DELETE FROM rate_limits WHERE key = ?", key)
    }
}
