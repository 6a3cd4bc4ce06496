
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

    /// The memberwise initializer, visible to the other targets of the package.
    package init(workerID: UInt16, floor: Int64) {
        self.workerID = workerID
        self.floor = floor
    }
}

/// Storage of the 1024 snowflake worker-id leases. Each call is one write transaction, so two processes can never
/// hold the same worker id. `SQLWorkerLeaseStore` (FluxerPersistence) fulfils it on both backends with
/// the same statements (`UPDATE … WHERE worker_id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`), under the same rules:
/// - a lease is live while `expires_at > now`; a free (`holder IS NULL`) or expired row may be taken;
/// - taking a row raises its floor to the old `expires_at` (the old holder never minted past its lease end);
/// - renewing never shortens a lease, and only the holder named by its token can renew or release;
/// - releasing records the holder's high-water mark as the floor.
package protocol WorkerLeaseStorage: Sendable {
    /// Takes a free worker id, else an expired one, for `holder` until `expiresAt`; nil when all 1024 are live.
    func acquire(_ holder: WorkerLeaseHolder, now: Int64, expiresAt: Int64) throws -> GrantedWorkerLease?
    /// Extends `holder`'s lease on `workerID` to at least `expiresAt`; false when `holder` no longer holds it.
    func renew(workerID: UInt16, token: String, now: Int64, expiresAt: Int64) throws -> Bool
    /// Frees `holder`'s lease on `workerID`; no ids were minted above `highWaterMark`. A lost lease is left alone.
    func release(workerID: UInt16, token: String, highWaterMark: Int64) throws
    /// The holders of live leases (for the CLI to say which processes use the database).
    func liveHolders(now: Int64) throws -> [WorkerLeaseHolder]
}

