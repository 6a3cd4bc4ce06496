/// Storage operations of dev mode only (`POST /_dev/reset`): the contract `DevStore` (FluxerPersistence) fulfils on
/// SQLite and PostgreSQL alike, inside the caller's transaction.
package protocol DevStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// Every user and bot id (their cached principals are invalidated after a reset).
    static func allUserIDs(in db: Transaction) throws -> [UInt64]
    /// Deletes every row of every product table except the schema's bookkeeping, the leases of live processes,
    /// the installation's facts and key material; returns the tables emptied. Part of the caller's transaction:
    /// a failure later in it leaves everything as it was.
    static func wipeProductData(in db: Transaction) throws -> [String]
}
