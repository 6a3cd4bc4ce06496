import SQLite
import FluxerDomain

/// SQL for the outbox (`outbox`): messages waiting for delivery, their leases and attempts, and the read-only
/// views the dev route and the CLI use. Every function runs inside the caller's transaction.
package enum OutboxStore: OutboxStorage {
    /// Stores a message (its body already sealed), due at once.
    package static func insert(id: Int64, _ message: OutboxMessage, sealedBody: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO outbox (id, channel, recipient, kind, subject, body, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, id, message.channel.rawValue, message.recipient, message.kind, message.subject, sealedBody, now, now)
    }

    /// Up to `limit` messages due at `now` and neither delivered nor given up, oldest first.
    package static func due(now: Int64, limit: Int, in db: SQLTransaction) throws -> [StoredOutboxMessage] {
        try db.query("""
            SELECT \(StoredOutboxMessage.columns) FROM outbox
            WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
            ORDER BY id LIMIT ?
            """, now, limit).compactMap(StoredOutboxMessage.init(row:))
    }

    /// When the next pending message is due; nil when nothing is pending.
    package static func nextAttemptAt(in db: SQLTransaction) throws -> Int64? {
        try db.queryOne("SELECT MIN(next_attempt_at) AS next FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL")?.int("next")
    }

    /// How many messages are neither delivered nor given up (the backlog); counted on the `outbox_pending` index.
    package static func pendingCount(in db: SQLTransaction) throws -> Int {
        Int(try db.queryOne("SELECT COUNT(*) AS pending FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL")?.int("pending") ?? 0)
    }

    /// Leases a due message until `leaseUntil` and counts the attempt, recording `interruptedError` until the
    /// attempt reports back. Returns the attempt's number; nil when the message is not due (another node took it).
    package static func claim(id: Int64, now: Int64, leaseUntil: Int64, interruptedError: String, in db: SQLTransaction) throws -> Int? {
        try db.queryOne("""
            UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, last_error = ?
            WHERE id = ? AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
            RETURNING attempts
            """, leaseUntil, interruptedError, id, now)?.int("attempts").map(Int.init)
    }

    /// Gives a message up with the error already recorded, replacing the body with `redactedBody` when `redact`.
    package static func giveUp(id: Int64, now: Int64, attempts: Int, redact: Bool, redactedBody: String, in db: SQLTransaction) throws {
        try db.run("UPDATE outbox SET failed_at = ?, attempts = ?, body = CASE WHEN ? THEN ? ELSE body END WHERE id = ?",
                   now, attempts, redact, redactedBody, id)
    }

    /// Gives a message up after a failed attempt, replacing the body with `redactedBody` when `redact`.
    package static func giveUp(id: Int64, now: Int64, attempts: Int, error: String, redact: Bool, redactedBody: String, in db: SQLTransaction) throws {
        try db.run("UPDATE outbox SET failed_at = ?, attempts = ?, last_error = ?, body = CASE WHEN ? THEN ? ELSE body END WHERE id = ?",
                   now, attempts, error, redact, redactedBody, id)
    }

    /// Marks a message delivered, replacing its body with `redactedBody` when given.
    package static func markDelivered(id: Int64, now: Int64, attempts: Int, redactedBody: String?, in db: SQLTransaction) throws {
        if let redactedBody {
            try db.run("UPDATE outbox SET delivered_at = ?, attempts = ?, last_error = NULL, body = ? WHERE id = ?",
                       now, attempts, redactedBody, id)
        } else {
            try db.run("UPDATE outbox SET delivered_at = ?, attempts = ?, last_error = NULL WHERE id = ?", now, attempts, id)
        }
    }

    /// Records a failed attempt and when to try again.
    package static func reschedule(id: Int64, attempts: Int, error: String, nextAttemptAt: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?", attempts, error, nextAttemptAt, id)
    }

    /// The newest `limit` messages, newest first, bodies as stored.
    package static func recent(limit: Int, in db: SQLTransaction) throws -> [StoredOutboxMessage] {
        try db.query("SELECT \(StoredOutboxMessage.columns) FROM outbox ORDER BY id DESC LIMIT ?", max(0, limit))
            .compactMap(StoredOutboxMessage.init(row:))
    }

    /// Messages with an id above `id`, oldest first, at most `limit`, bodies as stored.
    package static func after(id: Int64, limit: Int, in db: SQLTransaction) throws -> [StoredOutboxMessage] {
        try db.query("SELECT \(StoredOutboxMessage.columns) FROM outbox WHERE id > ? ORDER BY id ASC LIMIT ?", id, max(0, limit))
            .compactMap(StoredOutboxMessage.init(row:))
    }

    /// Whether the `outbox` table exists (the database has been migrated).
    package static func tableExists(in db: SQLTransaction) throws -> Bool {
        switch db.dialect {
        case .sqlite: try db.queryOne("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'") != nil
        case .postgres: try db.queryOne("SELECT to_regclass('outbox') IS NOT NULL AS present")?.bool("present") == true
        }
    }
}

/// How an outbox row is read: the select list and the mapping.
extension StoredOutboxMessage {
    /// The columns `init(row:)` reads, in order.
    package static let columns = "id, channel, recipient, kind, subject, body, created_at, attempts, delivered_at, failed_at, last_error"

    package init?(row: SQLRow) {
        guard let id = row.int("id"), let channelText = row.string("channel"),
              let channel = OutboxMessage.Channel(rawValue: channelText),
              let recipient = row.string("recipient"), let kind = row.string("kind"),
              let body = row.string("body"), let createdAt = row.int("created_at") else { return nil }
        self.init(id: id, channel: channel, recipient: recipient, kind: kind, subject: row.string("subject"), body: body,
                  createdAt: createdAt, attempts: Int(row.int("attempts") ?? 0), deliveredAt: row.int("delivered_at"),
                  failedAt: row.int("failed_at"), lastError: row.string("last_error"))
    }
}
