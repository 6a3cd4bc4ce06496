import FluxerPersistence
import SQLite
import FluxerDomain

/// Read-only queries over the `outbox` table, shared by the dev route, `Outbox.recent` and the CLI (which
/// opens the database itself, without a server).
public enum OutboxReader {
    /// The newest `limit` messages, newest first, bodies opened with `seal` (nil: left sealed).
    public static func recent(_ database: DataStore, limit: Int, seal: OutboxSeal?) throws -> [StoredOutboxMessage] {
        try database.read { db in
            try OutboxStore.recent(limit: limit, in: db).map { $0.opened(with: seal) }
        }
    }

    /// Messages with an id above `id`, oldest first, at most `limit`, bodies opened with `seal`.
    public static func after(_ database: DataStore, id: Int64, limit: Int, seal: OutboxSeal?) throws -> [StoredOutboxMessage] {
        try database.read { db in
            try OutboxStore.after(id: id, limit: limit, in: db).map { $0.opened(with: seal) }
        }
    }

    /// Whether the `outbox` table exists (the database has been migrated).
    public static func tableExists(_ database: DataStore) throws -> Bool {
        try database.read { db in try OutboxStore.tableExists(in: db) }
    }
}
