import FluxerDomain

/// SQL for the cache-invalidation log of processes sharing one SQLite file (`cache_invalidations`); pruned by
/// the maintenance sweep. Runs inside the caller's transaction.
package enum CacheInvalidationStore: CacheInvalidationStorage {
    /// How long entries are kept: longer than the longest principal-cache TTL (1 hour), so a process that falls
    /// behind misses only entries whose cached credentials have expired anyway.
    package static let retentionMilliseconds: Int64 = 2 * 3_600_000

    package static func append(payload: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO cache_invalidations (payload, created_at) VALUES (?, ?)", payload, now)
    }

    package static func after(id afterID: Int64, limit: Int, in db: SQLTransaction) throws -> [CacheInvalidationEntry] {
        try db.query("SELECT id, payload FROM cache_invalidations WHERE id > ? ORDER BY id LIMIT ?", afterID, limit).compactMap { row in
            guard let id = row.int("id"), let payload = row.string("payload") else { return nil }
            return CacheInvalidationEntry(id: id, payload: payload)
        }
    }

    package static func latestID(in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT max(id) AS id FROM cache_invalidations")?.int("id") ?? 0
    }
}
