/// Storage of leases that let one node run a periodic job: the contract `JobLeaseStore` (FluxerPersistence) fulfils on
/// SQLite and PostgreSQL alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its
/// statements: a PostgreSQL write may run again after a serialization failure.
package protocol JobLeaseStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Takes (or extends) the lease `name` for `holder` until `expiresAt`, in one conditional upsert: it succeeds
    /// when nobody holds the lease, its holder's time is up at `now`, or `holder` already holds it.
    static func take(name: String, holder: String, expiresAt: Int64, now: Int64, in db: Transaction) throws -> Bool
}
