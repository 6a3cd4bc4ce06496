import FluxerDomain
import SQLite

/// `WorkerLeaseStorage` on either backend. SQLite: every statement runs on the serialized writer inside
/// `BEGIN IMMEDIATE`, which also excludes every other process writing the file. PostgreSQL: the free row is
/// claimed with `FOR UPDATE SKIP LOCKED` at READ COMMITTED, so processes starting together each take a different
/// row without waiting on or failing against each other; renew and release are conditional updates on the
/// holder's token.
package struct SQLWorkerLeaseStore: WorkerLeaseStorage {
    package let database: DataStore

    package func acquire(_ holder: WorkerLeaseHolder, now: Int64, expiresAt: Int64) throws -> GrantedWorkerLease? {
        // SET expressions read the row as it was: the new floor covers the old holder's lease end.
        let row = try database.write(lockingRows: true) { db in
            let postgres = db.dialect == .postgres
            return try db.queryOne("""
                UPDATE worker_leases
                SET holder = ?1, pid = ?2, hostname = ?3, started_at = ?4, renewed_at = ?4, expires_at = ?5,
                    floor_ms = \(postgres ? "GREATEST" : "MAX")(floor_ms, expires_at)
                WHERE worker_id = (SELECT worker_id FROM worker_leases WHERE holder IS NULL OR expires_at <= ?4
                                   ORDER BY holder IS NOT NULL, worker_id LIMIT 1\(postgres ? " FOR UPDATE SKIP LOCKED" : ""))
                RETURNING worker_id, floor_ms
                """, holder.token, Int64(holder.pid), holder.hostname, now, expiresAt)
        }
        guard let row, let id = row.int("worker_id"), let floor = row.int("floor_ms") else { return nil }
        return GrantedWorkerLease(workerID: UInt16(id), floor: floor)
    }

    package func renew(workerID: UInt16, token: String, now: Int64, expiresAt: Int64) throws -> Bool {
        try database.write(lockingRows: true) { db in
            try db.run("""
                UPDATE worker_leases SET renewed_at = ?3, expires_at = \(db.dialect == .postgres ? "GREATEST" : "MAX")(expires_at, ?4)
                WHERE worker_id = ?1 AND holder = ?2
                """, Int64(workerID), token, now, expiresAt)
        } == 1
    }

    package func release(workerID: UInt16, token: String, highWaterMark: Int64) throws {
        try database.write(lockingRows: true) { db in
            _ = try db.run("""
                UPDATE worker_leases
                SET holder = NULL, pid = NULL, hostname = NULL, started_at = NULL, renewed_at = NULL, expires_at = 0,
                    floor_ms = \(db.dialect == .postgres ? "GREATEST" : "MAX")(floor_ms, ?3)
                WHERE worker_id = ?1 AND holder = ?2
                """, Int64(workerID), token, highWaterMark)
        }
    }
    package func liveHolders(now: Int64) throws -> [WorkerLeaseHolder] {
        try database.read { db in
            try db.query("SELECT holder, pid, hostname FROM worker_leases WHERE holder IS NOT NULL AND expires_at > ? ORDER BY worker_id", now)
                .compactMap { row in
                    guard let token = row.string("holder") else { return nil }
                    return WorkerLeaseHolder(token: token, pid: Int32(truncatingIfNeeded: row.int("pid") ?? 0), hostname: row.string("hostname") ?? "")
                }
        }
    }

    /// The memberwise initializer, visible to the other targets of the package.
    package init(database: DataStore) {
        self.database = database
    }
}
