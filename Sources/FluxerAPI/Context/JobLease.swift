import FluxerCrypto
import FluxerPersistence
import SQLite

/// A named lease on background work that several nodes sharing one database must not run twice (DESIGN.md:
/// "Background work never runs twice: leases"). `take` succeeds when nobody holds the lease or its holder's
/// time is up, or when this process already holds it (it then extends it), in one conditional upsert, so two
/// nodes asking at once cannot both win. Work that outlives its lease may overlap with the next holder's; the
/// jobs here are idempotent deletes, so that costs time, never correctness.
package struct JobLease: Sendable {
    /// Identifies this process among the lease holders (random, never reused).
    package static let processHolder = Base64URL.encode(SecureRandom.bytes(16))

    /// The job, e.g. `maintenance`.
    package let name: String
    /// How long one take holds the job.
    package let durationMilliseconds: Int64
    /// Who asks: this process unless a test stands in for another node.
    package var holder: String = JobLease.processHolder

    package init(name: String, durationMilliseconds: Int64, holder: String = JobLease.processHolder) {
        self.name = name
        self.durationMilliseconds = durationMilliseconds
        self.holder = holder
    }

    /// Takes (or extends) the lease inside the caller's write transaction; false when another holder's lease
    /// is still running.
    package func take(now: Int64, in db: SQLTransaction) throws -> Bool {
        try JobLeaseStore.take(name: name, holder: holder, expiresAt: now + durationMilliseconds, now: now, in: db)
    }

    /// Takes the lease in its own transaction; false when another node holds it or the database is busy (the
    /// job then waits for its next turn).
    package func take(now: Int64, on database: DataStore) -> Bool {
        (try? database.write { db in try take(now: now, in: db) }) ?? false
    }
}
