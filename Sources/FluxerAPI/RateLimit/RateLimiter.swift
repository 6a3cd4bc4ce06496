import Synchronization

/// In-memory GCRA (the real server's algorithm): emission interval T = window / limit, burst = limit. A hit at
/// `now` moves the theoretical arrival time to TAT' = max(TAT, now) + T and is allowed when TAT' − now ≤ window.
/// State is sharded by key so event loops rarely contend; stale keys are pruned as shards grow.
package final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    /// What one hit decided.
    package typealias Decision = RateLimitDecision

    /// TAT per key, in microseconds (so limits above 1,000 per second still have a non-zero interval).
    private final class Shard: Sendable {
        package let table = Mutex<[Key: Int64]>([:])
    }

    private let shards: [Shard]
    private static var shardCount: Int { 16 }
    private static var pruneThreshold: Int { 50_000 }

    package init() {
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    package func hit(_ key: Key, limit: RateLimit, now nowMilliseconds: Int64) -> Decision {
        let window = limit.windowMilliseconds * 1000
        let interval = max(1, window / Int64(limit.count))
        let now = nowMilliseconds * 1000
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        return shard.table.withLock { table in
            if table.count > Self.pruneThreshold { table = table.filter { $0.value > now } }
            // One lookup for the read and the write of a known key (the usual case).
            let slot = table.index(forKey: key)
            let tat = max(slot.map { table.values[$0] } ?? now, now)
            let next = tat + interval
            if next - now > window {
                let retry = next - now - window
                return Decision(allowed: false, limit: limit.count, remaining: 0, resetAt: (tat + 999) / 1000, retryAfter: (retry + 999) / 1000)
            }
            if let slot { table.values[slot] = next } else { table[key] = next }
            let remaining = Int((window - (next - now)) / interval)
            return Decision(allowed: true, limit: limit.count, remaining: max(0, remaining), resetAt: (next + 999) / 1000, retryAfter: 0)
        }
    }
}

/// What one hit decided, with everything the headers need.
package struct RateLimitDecision: Equatable, Sendable {
    package var allowed: Bool
    package var limit: Int
    package var remaining: Int
    /// When the bucket is full again (unix ms).
    package var resetAt: Int64
    /// How long to wait before a retry would pass (ms; 0 when allowed).
    package var retryAfter: Int64
}
