import SQLite
import FluxerDomain

/// SQL for the audit log (`audit_events`). Every function runs inside the caller's transaction.
package enum AuditStore: AuditStorage {
    package static func insert(_ e: AuditEvent, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO audit_events (at, event, outcome, user_id, application_id, ip, user_agent, detail, actor)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, e.at, e.event, e.outcome, e.userID.map { Int64(bitPattern: $0) }, e.applicationID.map { Int64(bitPattern: $0) },
            e.ip, e.userAgent, e.detail, e.actor)
    }

    /// The most events `deleteBatch` removes at once.
    package static let pruneBatch = 1000

    /// Deletes up to `pruneBatch` events older than `before`; returns how many went.
    package static func deleteBatch(before: Int64, in db: SQLTransaction) throws -> Int {
        try db.run("DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? LIMIT \(pruneBatch))", before)
    }

    package typealias StoredEvent = StoredAuditEvent

    /// Events with an id above `afterID`, at or after `since`, of one user when given; oldest first.
    package static func events(userID: UInt64?, since: Int64, afterID: Int64, limit: Int, in db: SQLTransaction) throws -> [StoredEvent] {
        try db.query("""
            SELECT id, at, event, outcome, user_id, application_id, ip, user_agent, detail, actor FROM audit_events
            WHERE id > ? AND at >= ? AND (CAST(? AS BIGINT) IS NULL OR user_id = ?) ORDER BY id LIMIT ?
            """, afterID, since, userID.map { Int64(bitPattern: $0) }, userID.map { Int64(bitPattern: $0) }, limit).map { row in
            StoredEvent(id: row.int("id") ?? 0, event: AuditEvent(
                at: row.int("at") ?? 0, event: row.string("event") ?? "", outcome: row.string("outcome") ?? "",
                userID: row.int("user_id").map { UInt64(bitPattern: $0) }, applicationID: row.int("application_id").map { UInt64(bitPattern: $0) },
                ip: row.string("ip"), userAgent: row.string("user_agent"), detail: row.string("detail"), actor: row.string("actor")))
        }
    }
}
