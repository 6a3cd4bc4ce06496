/// Storage of the outbox of mail, SMS and webhooks: the contract `OutboxStore` (FluxerPersistence) fulfils on SQLite
/// and PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol OutboxStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Stores a message (its body already sealed), due at once.
    static func insert(id: Int64, _ message: OutboxMessage, sealedBody: String, now: Int64, in db: Transaction) throws
    /// Up to `limit` messages due at `now` and neither delivered nor given up, oldest first.
    static func due(now: Int64, limit: Int, in db: Transaction) throws -> [StoredOutboxMessage]
    /// When the next pending message is due; nil when nothing is pending.
    static func nextAttemptAt(in db: Transaction) throws -> Int64?
    /// How many messages are neither delivered nor given up (the backlog).
    static func pendingCount(in db: Transaction) throws -> Int
    /// Leases a due message until `leaseUntil` and counts the attempt, recording `interruptedError` until the
    /// attempt reports back. Returns the attempt's number; nil when the message is not due (another node took it).
    static func claim(id: Int64, now: Int64, leaseUntil: Int64, interruptedError: String,
                     in db: Transaction) throws -> Int?
    /// Gives a message up with the error already recorded, replacing the body with `redactedBody` when `redact`.
    static func giveUp(id: Int64, now: Int64, attempts: Int, redact: Bool, redactedBody: String,
                     in db: Transaction) throws
    /// Gives a message up after a failed attempt, replacing the body with `redactedBody` when `redact`.
    static func giveUp(id: Int64, now: Int64, attempts: Int, error: String, redact: Bool, redactedBody: String,
                     in db: Transaction) throws
    /// Marks a message delivered, replacing its body with `redactedBody` when given.
    static func markDelivered(id: Int64, now: Int64, attempts: Int, redactedBody: String?, in db: Transaction) throws
    /// Records a failed attempt and when to try again.
    static func reschedule(id: Int64, attempts: Int, error: String, nextAttemptAt: Int64, in db: Transaction) throws
    /// The newest `limit` messages, newest first, bodies as stored.
    static func recent(limit: Int, in db: Transaction) throws -> [StoredOutboxMessage]
    /// Messages with an id above `id`, oldest first, at most `limit`, bodies as stored.
    static func after(id: Int64, limit: Int, in db: Transaction) throws -> [StoredOutboxMessage]
    /// Whether the `outbox` table exists (the database has been migrated).
    static func tableExists(in db: Transaction) throws -> Bool
}
