/// Storage of facts about this installation: the contract `InstanceStore` (FluxerPersistence) fulfils on SQLite and
/// PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol InstanceStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Records when the installation first started (`created_at`, Unix ms); later calls leave it alone.
    static func recordCreatedAt(_ milliseconds: Int64, in db: Transaction) throws
    /// Dev mode's shared secret on a database server: `candidate` is stored unless a key already is, and the
    /// stored one (the first node's) is returned.
    static func devSecretKey(storingIfAbsent candidate: String, in db: Transaction) throws -> String?
}
