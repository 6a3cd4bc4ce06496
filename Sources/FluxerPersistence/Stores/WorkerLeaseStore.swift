import SQLite

/// The process asking for a worker id: the token proves ownership on renew and release; pid and hostname are
/// there for the operator reading `worker_leases`.
package struct WorkerLeaseHolder: Sendable, Equatable {
    /// Random, unique per process (and per lease): a restarted process with the same pid is not the old holder.
    package var token: String
    package var pid: Int32
    package var hostname: String
    /// The memberwise initializer, visible to the other targets of the package.
    package init(token: String, pid: Int32, hostname: String) {
        self.token = token
        self.pid = pid
        self.hostname = hostname
    }
}

/// A worker id granted to one holder.
package struct GrantedWorkerLease: Sendable, Equatable {
    /// 0…1023.
    package var workerID: UInt16
    /// Every id minted under this worker id before has a timestamp at or below this (Unix ms); mint above it.
    package var floor: Int64
}

/// Storage of the 1024 snowflake worker-id leases. Each call is one write transaction, so two processes can never
/// hold the same worker id. One implementation per backend; SQLite's is below. A PostgreSQL one would run the same
/// statements (`UPDATE … WHERE worker_id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`), under the same rules:
/// - a lease is live while `expires_at > now`; a free (`holder IS NULL`) or expired row may be taken;
/// - taking a row raises its floor to the old `expires_at` (the old holder never minted past its lease end);
/// - renewing never shortens a lease, and only the holder named by its token can renew or release;
/// - releasing records the holder's high-water mark as the floor.
package protocol WorkerLeaseStore: Sendable {
    /// Takes a free worker id, else an expired one, for `holder` until `expiresAt`; nil when all 1024 are live.
    func acquire(_ holder: WorkerLeaseHolder, now: Int64, expiresAt: Int64) throws -> GrantedWorkerLease?
    /// Extends `holder`'s lease on `workerID` to at least `expiresAt`; false when `holder` no longer holds it.
    func renew(workerID: UInt16, token: String, now: Int64, expiresAt: Int64) throws -> Bool
    /// Frees `holder`'s lease on `workerID`; no ids were minted above `highWaterMark`. A lost lease is left alone.
    func release(workerID: UInt16, token: String, highWaterMark: Int64) throws
}

/// `WorkerLeaseStore` on either backend. SQLite: every statement runs on the serialized writer inside
/// `BEGIN IMMEDIATE`, which also excludes every other process writing the file. PostgreSQL: the free row is
/// claimed with `FOR UPDATE SKIP LOCKED` at READ COMMITTED, so processes starting together each take a different
/// row without waiting on or failing against each other; renew and release are conditional updates on the
/// holder's token.
package struct SQLWorkerLeaseStore: WorkerLeaseStore {
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
    /// The memberwise initializer, visible to the other targets of the package.
    package init(database: DataStore) {
        self.database = database
    }
}
