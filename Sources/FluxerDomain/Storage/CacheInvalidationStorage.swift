/// Storage of the cache-invalidation log that processes sharing one SQLite file poll (PostgreSQL nodes hear
/// invalidations through LISTEN/NOTIFY instead): the contract `CacheInvalidationStore` (FluxerPersistence) fulfils.
/// Every function runs inside the caller's transaction (`in db:`) and does nothing but its statements.
package protocol CacheInvalidationStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Appends one payload (`CacheInvalidationBus`'s format) inside the transaction that revokes: other processes
    /// see it exactly when, and only if, the revocation commits.
    static func append(payload: String, now: Int64, in db: Transaction) throws
    /// Entries with an id above `afterID`, oldest first, at most `limit`.
    static func after(id afterID: Int64, limit: Int, in db: Transaction) throws -> [CacheInvalidationEntry]
    /// The newest entry's id (0 when there is none): where a process starting now begins to poll.
    static func latestID(in db: Transaction) throws -> Int64
}

/// One logged payload.
package struct CacheInvalidationEntry: Sendable, Equatable {
    package var id: Int64
    package var payload: String

    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: Int64, payload: String) {
        self.id = id
        self.payload = payload
    }
}
