/// Storage of persisted GCRA rate-limit state: the contract `RateLimitStore` (FluxerPersistence) fulfils on SQLite and
/// PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol RateLimitStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// The bucket's theoretical arrival time; nil when the key has no bucket.
    static func tat(key: String, in db: Transaction) throws -> Int64?
    /// Stores the bucket's new theoretical arrival time.
    static func setTAT(key: String, tat: Int64, in db: Transaction) throws
    /// Forgets the bucket.
    static func delete(key: String, in db: Transaction) throws
}
