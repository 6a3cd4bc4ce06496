import HTTPServer
import FluxerPersistence
import SQLite
import Synchronization
import FluxerDomain
import FluxerJSON

/// The audit log: security events queued in memory and written in batches by a background thread (so a
/// login never waits on an extra transaction), pruned after the configured retention. Events carry ids, the
/// client address and User-Agent, an outcome and a fixed-vocabulary detail: never a token, code or password.
public final class AuditLog: Sendable {
    /// One event.
    public typealias Event = AuditEvent

    private let database: DataStore
    private let pending = Mutex<[Event]>([])
    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<OSThread?>(nil)
    private let retentionMilliseconds: Int64
    private let clock: @Sendable () -> Int64
    private let metrics: Metrics?
    private static let maxPending = 100_000

    /// `metrics` counts the sign-in events (`login.*`) by outcome, so `fluxer_logins_total` agrees with this log.
    package init(database: DataStore, retentionDays: Int, clock: @escaping @Sendable () -> Int64, metrics: Metrics? = nil) {
        self.database = database
        self.metrics = metrics
        self.retentionMilliseconds = Int64(retentionDays) * 86_400_000
        self.clock = clock
    }

    /// Queues an event; `request` supplies the client address and User-Agent.
    package func record(_ event: String, outcome: String, userID: UInt64? = nil, applicationID: UInt64? = nil,
                request: HTTPRequest? = nil, detail: String? = nil) {
        let e = Event(at: clock(), event: event, outcome: outcome, userID: userID, applicationID: applicationID,
                      ip: request?.remoteAddress, userAgent: request?.headers["User-Agent"].map { String($0.prefix(256)) }, detail: detail)
        pending.withLock { list in if list.count < Self.maxPending { list.append(e) } }
        if let metrics, event.hasPrefix("login.") {
            switch event {
            case "login.success": metrics.login(.success)
            case "login.mfa_required": metrics.login(.mfaRequired)
            case "login.failure": metrics.login(outcome == "refused" ? .refused : .failure)
            default: break
            }
        }
    }

    package func start() {
        let worker = OSThread(name: "fx-audit") { [self] in
            var lastPrune: Int64 = 0
            while !stopped.load(ordering: .relaxed) {
                lock.withLock { lock.wait(milliseconds: 500) }
                flush()
                let now = clock()
                if now - lastPrune > 3_600_000 {
                    lastPrune = now
                    prune(now: now)
                }
            }
        }
        thread.withLock { $0 = worker }
    }

    /// Writes queued events now.
    package func flush() {
        let batch = pending.withLock { list -> [Event] in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        guard !batch.isEmpty else { return }
        _ = try? database.write { db in
            for e in batch { try AuditStore.insert(e, in: db) }
        }
    }

    /// Several nodes on one database prune once an hour between them.
    package static let pruneLease = JobLease(name: "audit_prune", durationMilliseconds: 3_600_000 - 60_000)

    package func prune(now: Int64, lease: JobLease = AuditLog.pruneLease) {
        guard retentionMilliseconds > 0, lease.take(now: now, on: database) else { return }
        for _ in 0..<100 {
            let removed = (try? database.write { db in try AuditStore.deleteBatch(before: now - retentionMilliseconds, in: db) }) ?? 0
            if removed < AuditStore.pruneBatch { return }
        }
    }

    package func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        lock.withLock { lock.signal() }
        thread.withLock { $0 }?.join()
        flush()
    }

    /// Events, oldest first, for the CLI.
    public static func query(_ db: SQLTransaction, userID: UInt64?, since: Int64, afterID: Int64, limit: Int) throws -> [(Int64, JSONValue)] {
        try AuditStore.events(userID: userID, since: since, afterID: afterID, limit: limit, in: db).map { stored in
            let e = stored.event
            return (stored.id, .object([
                ("id", .int(stored.id)), ("at", .string(ISO8601.format(milliseconds: e.at))),
                ("event", .string(e.event)), ("outcome", .string(e.outcome)),
                ("user_id", e.userID.map { .string(String($0)) } ?? .null),
                ("application_id", e.applicationID.map { .string(String($0)) } ?? .null),
                ("ip", e.ip.map(JSONValue.string) ?? .null),
                ("user_agent", e.userAgent.map(JSONValue.string) ?? .null),
                ("detail", e.detail.map(JSONValue.string) ?? .null),
                ("actor", e.actor.map(JSONValue.string) ?? .null),
            ]))
        }
    }
}
