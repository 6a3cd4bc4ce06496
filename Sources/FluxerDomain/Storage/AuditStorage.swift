/// Storage of the audit log: the contract `AuditStore` (FluxerPersistence) fulfils on SQLite and PostgreSQL alike.
/// Every function runs inside the caller's transaction (`in db:`) and does nothing but its statements: a PostgreSQL
/// write may run again after a serialization failure.
package protocol AuditStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func insert(_ e: AuditEvent, in db: Transaction) throws
    /// Deletes up to `pruneBatch` events older than `before`; returns how many went.
    static func deleteBatch(before: Int64, in db: Transaction) throws -> Int
    /// Events with an id above `afterID`, at or after `since`, of one user when given; oldest first.
    static func events(userID: UInt64?, since: Int64, afterID: Int64, limit: Int,
                     in db: Transaction) throws -> [StoredAuditEvent]
}

/// A stored event and its id.
package struct StoredAuditEvent {
    package var id: Int64
    package var event: AuditEvent

    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: Int64, event: AuditEvent) {
        self.id = id
        self.event = event
    }
}
