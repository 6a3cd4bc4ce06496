import FluxerDomain

/// SQL for dev mode's reset. The table list is read from the catalogue, so a table added by a later migration is
/// reset too unless it is named in `keptTables`.
package enum DevStore: DevStorage {
    /// What a reset keeps: migrations applied, worker and job leases held by live processes (the server's own
    /// among them), installation facts (the dev secret on PostgreSQL), our AT Protocol client keys, the bot-token
    /// keys `keys rotate` stored (like the configured ones, they outlive the data), and the cache-invalidation log
    /// other processes on the SQLite file are reading (the reset's own invalidations go through it).
    package static let keptTables: Set<String> = ["schema_migrations", "worker_leases", "job_leases", "instance", "atproto_client_keys",
                                                  "bot_token_keys", "cache_invalidations"]

    package static func allUserIDs(in db: SQLTransaction) throws -> [UInt64] {
        try db.query("SELECT id FROM users").compactMap { $0.int("id").map { UInt64(bitPattern: $0) } }
    }

    package static func wipeProductData(in db: SQLTransaction) throws -> [String] {
        switch db.dialect {
        case .sqlite:
            let tables = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .compactMap { $0.string("name") }.filter { !keptTables.contains($0) }
            // Foreign keys are checked at COMMIT, when every referencing row is gone too.
            try db.execute("PRAGMA defer_foreign_keys = ON")
            for table in tables { try db.run("DELETE FROM \(quoted(table))") }
            return tables
        case .postgres:
            let tables = try db.query("""
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
                """).compactMap { $0.string("table_name") }.filter { !keptTables.contains($0) }
            // One TRUNCATE of all of them: references among them are no obstacle, and it is transactional.
            if !tables.isEmpty { try db.execute("TRUNCATE " + tables.map(quoted).joined(separator: ", ")) }
            return tables
        }
    }

    /// A catalogue name as an SQL identifier (names come from the catalogue, never from a request).
    private static func quoted(_ name: String) -> String {
        "\"" + String(name.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}
