import FluxerDomain
import SQLite

/// SQL for the named leases on background work (`job_leases`, see `JobLease`).
package enum JobLeaseStore: JobLeaseStorage {
    /// Takes (or extends) the lease `name` for `holder` until `expiresAt`, in one conditional upsert: it succeeds
    /// when nobody holds the lease, its holder's time is up at `now`, or `holder` already holds it.
    package static func take(name: String, holder: String, expiresAt: Int64, now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            INSERT INTO job_leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE job_leases.expires_at <= ?4 OR job_leases.holder = excluded.holder
            """, name, holder, expiresAt, now) == 1
    }
}
