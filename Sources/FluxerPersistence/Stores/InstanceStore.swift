import FluxerDomain
import SQLite

/// SQL for facts about the installation itself (`instance`: key and text value). Every function runs inside
/// the caller's transaction.
package enum InstanceStore: InstanceStorage {
    /// Records when the installation first started (`created_at`, Unix ms); later calls leave it alone.
    package static func recordCreatedAt(_ milliseconds: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO instance (key, value) VALUES ('created_at', ?) ON CONFLICT (key) DO NOTHING", String(milliseconds))
    }

    /// Dev mode's shared secret on a database server: `candidate` is stored unless a key already is, and the
    /// stored one (the first node's) is returned.
    package static func devSecretKey(storingIfAbsent candidate: String, in db: SQLTransaction) throws -> String? {
        try db.run("INSERT INTO instance (key, value) VALUES ('dev_secret_key', ?) ON CONFLICT (key) DO NOTHING", candidate)
        return try db.queryOne("SELECT value FROM instance WHERE key = 'dev_secret_key'")?.string("value")
    }
}
