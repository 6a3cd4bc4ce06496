/// An open transaction on some backend, as the store protocols take it (`in db:`). The domain never looks inside:
/// FluxerPersistence's `SQLTransaction` is the one conforming type, on SQLite and PostgreSQL alike.
///
/// The store protocols in this folder are the persistence contract, one per feature. Each is fulfilled by one
/// dialect-aware implementation in FluxerPersistence (`SessionStore: SessionStorage`, …) rather than a SQLite and a
/// PostgreSQL twin: the statements are the same text on both backends (`?` placeholders, `ON CONFLICT`,
/// `RETURNING`), and the few that differ branch on the transaction's dialect. `StoreConformanceTests` holds every
/// protocol to its contract on both backends.
package protocol StoreTransaction: AnyObject {}
