import Synchronization

/// In-memory GCRA (the real server's algorithm): emission interval T = window / limit, burst = limit. A hit at
/// `now` moves the theoretical arrival time to TAT' = max(TAT, now) + T and is allowed when TAT' − now ≤ window.
/// State is sharded by key so event loops rarely contend; stale keys are pruned as shards grow.
final class RateLimiter: Sendable {
    /// What one hit decided, with everything the headers need.
    struct Decision: Equatable {
        var allowed: Bool
        var limit: Int
        var remaining: Int
        /// When the bucket is full again (unix ms).
        var resetAt: Int64
        /// How long to wait before a retry would pass (ms; 0 when allowed).
        var retryAfter: Int64
    }

    private final class Shard: Sendable {
        let table = Mutex<[String: Int64]>([:])
    }

    private let shards: [Shard]
    private static let shardCount = 16
    private static let pruneThreshold = 50_000

    init() {
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    func hit(_ key: String, limit: RateLimit, now: Int64) -> Decision {
        let interval = max(1, limit.windowMilliseconds / Int64(limit.count))
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        return shard.table.withLock { table in
            if table.count > Self.pruneThreshold { table = table.filter { $0.value > now } }
            let tat = max(table[key] ?? now, now)
            let next = tat + interval
            if next - now > limit.windowMilliseconds {
                let retry = next - now - limit.windowMilliseconds
                return Decision(allowed: false, limit: limit.count, remaining: 0, resetAt: tat, retryAfter: retry)
            }
            table[key] = next
            let remaining = Int((limit.windowMilliseconds - (next - now)) / interval)
            return Decision(allowed: true, limit: limit.count, remaining: max(0, remaining), resetAt: next, retryAfter: 0)
        }
    }
}
