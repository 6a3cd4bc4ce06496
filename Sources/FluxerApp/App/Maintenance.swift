import FluxerAPI
import HTTPServer
import FluxerPersistence
import SQLite
import Synchronization
import FluxerDomain

/// Deletes expired rows (codes, tokens, tickets, challenges, attempt counters) every ten minutes, in batches of
/// at most 1,000 rows per transaction so the writer is never held long (checklist DB-10). Several nodes on one
/// database share the work: each pass first takes the `maintenance` lease, so one node sweeps per interval.
final class Maintenance: Sendable {
    static let interval = 10 * 60_000
    static let firstDelay = 60_000
    static let batch = 1_000

    private let database: DataStore
    private let clock: @Sendable () -> Int64
    private let sessionExpiry: SessionExpiry
    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<OSThread?>(nil)

    init(database: DataStore, clock: @escaping @Sendable () -> Int64, sessionExpiry: SessionExpiry = SessionExpiry()) {
        self.database = database
        self.clock = clock
        self.sessionExpiry = sessionExpiry
    }

    /// A use may sit in the touch queue (or its batch be retried) for seconds before `last_used_at` shows it, so
    /// idle sessions are pruned this long after they expired; until then the lookup refuses them (SE-07).
    static let idleSessionGrace: Int64 = 3_600_000

    /// Sessions past their absolute lifetime, or idle past their idle timeout plus the grace (SE-07).
    var sessionRule: MaintenanceStore.Rule {
        MaintenanceStore.sessionRule(absoluteMilliseconds: sessionExpiry.absoluteMilliseconds,
                                     idleMilliseconds: sessionExpiry.idleMilliseconds + Self.idleSessionGrace)
    }

    func start() {
        let worker = OSThread(name: "fx-maintain") { [self] in
            // The first pass waits a minute: start-up (and migration) get the writer to themselves.
            lock.withLock { lock.wait(milliseconds: Self.firstDelay) }
            while !stopped.load(ordering: .relaxed) {
                runIfLeased()
                lock.withLock { lock.wait(milliseconds: Self.interval) }
            }
        }
        thread.withLock { $0 = worker }
    }

    /// The lease a pass takes: a little shorter than the interval, so the holder's next pass renews it and a node
    /// that died is replaced by the next node's pass.
    static let lease = JobLease(name: "maintenance", durationMilliseconds: Int64(interval - 30_000))

    /// One pass when this node holds the `maintenance` lease (nil when another node does).
    @discardableResult
    func runIfLeased(lease: JobLease = Maintenance.lease) -> Int? {
        guard lease.take(now: clock(), on: database) else { return nil }
        return runOnce()
    }

    /// One pass over every rule; returns the rows deleted.
    @discardableResult
    func runOnce() -> Int {
        var total = 0
        for rule in MaintenanceStore.rules + [sessionRule] {
            for _ in 0..<1_000 {
                guard !stopped.load(ordering: .relaxed) else { return total }
                let now = clock()
                let removed = (try? database.write { db in try MaintenanceStore.deleteExpired(rule, now: now, limit: Self.batch, in: db) }) ?? 0
                total += removed
                if removed < Self.batch { break }
            }
        }
        return total
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        lock.withLock { lock.signal() }
        thread.withLock { $0 }?.join()
    }
}
