#if canImport(Glibc)
import Glibc
#endif
import FluxerCrypto
import HTTPServer
import Logging
import FluxerPersistence
import SQLite
import Synchronization
import FluxerDomain

/// Every email and SMS the server sends. `enqueue` stores a message inside the caller's write transaction (so
/// a rolled-back sign-up sends nothing); one background thread hands pending rows to the configured driver,
/// retrying failures with exponential backoff and giving up after `maxAttempts`. Outside dev mode a body is
/// replaced by `OutboxSettings.redactedBody` once delivered or given up, so tokens do not sit in the database.
public final class Outbox: Sendable {
    package let database: DataStore
    package let snowflakes: any SnowflakeSource
    package let driver: any OutboxDriver
    /// The delivery settings in force.
    public let settings: OutboxSettings
    package let logger: Logger
    /// Bodies are sealed at rest with the server key (`OutboxSeal`).
    package let seal: OutboxSeal
    package let clock: @Sendable () -> Int64
    package let random: @Sendable (ClosedRange<Int64>) -> Int64
    /// Guards `control` changes the delivery thread waits on; its condition is broadcast on wake and stop.
    private let lock = ConditionLock()
    private let control = Mutex(Control())
    private let pending = Atomic<Int>(0)

    private struct Control {
        package var thread: OSThread?
        package var started = false
        package var stopping = false
        package var wakePending = false
        package var finished = false
    }

    /// The longest `last_error` kept.
    package static let maxErrorBytes = 200

    /// An outbox over `database` delivering through `driver`. `clock` gives Unix milliseconds.
    public init(database: DataStore, snowflakes: any SnowflakeSource, driver: any OutboxDriver, settings: OutboxSettings,
                seal: OutboxSeal, logger: Logger, clock: @escaping @Sendable () -> Int64 = Clock.wallMilliseconds,
                random: @escaping @Sendable (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }) {
        self.database = database
        self.snowflakes = snowflakes
        self.driver = driver
        self.settings = settings
        self.logger = logger
        self.seal = seal
        self.clock = clock
        self.random = random
    }

    /// The outbox the configuration asks for (`outbox.driver`, `outbox.max_attempts`, `dev`), sealing bodies with
    /// a key derived from `secretKey`.
    public static func make(config: Config, database: DataStore, snowflakes: any SnowflakeSource, secretKey: [UInt8],
                            logger: Logger) -> Outbox {
        let driver: any OutboxDriver = switch config.outboxDriver {
        case .log: LogOutboxDriver(logger: logger)
        case .none: NoneOutboxDriver()
        case .webhook: WebhookOutboxDriver(url: config.outboxWebhookURL, secret: Array(config.outboxWebhookSecret.utf8))
        }
        return Outbox(database: database, snowflakes: snowflakes, driver: driver, settings: OutboxSettings(config: config),
                      seal: OutboxSeal(secret: secretKey), logger: logger)
    }

    // MARK: - Writing

    /// Stores `message` for delivery, inside the caller's write transaction (`db` comes from `Database.write`).
    /// Call `wake()` after the commit so delivery starts at once. Returns the new row's id.
    /// - Throws: `OutboxError` when a bound is broken (nothing is written), or the SQLite error.
    @discardableResult
    public func enqueue(_ message: OutboxMessage, in db: SQLTransaction, now: Int64) throws -> Int64 {
        try message.validate()
        let id = Int64(bitPattern: try snowflakes.next())
        try OutboxStore.insert(id: id, message, sealedBody: seal.seal(message.body), now: now, in: db)
        return id
    }

    /// Stores `message` in its own transaction and wakes the delivery thread. Returns the new row's id.
    @discardableResult
    public func send(_ message: OutboxMessage) throws -> Int64 {
        let now = clock()
        let id = try database.write { db in try enqueue(message, in: db, now: now) }
        wake()
        return id
    }

    /// Messages neither delivered nor given up, as counted at the end of the delivery thread's last round (a
    /// gauge for `/metrics`, which must not query the database on the event loop).
    public var backlog: Int { pending.load(ordering: .relaxed) }

    /// The newest `limit` messages, newest first, bodies opened.
    public func recent(limit: Int) throws -> [StoredOutboxMessage] {
        try OutboxReader.recent(database, limit: limit, seal: seal)
    }

    // MARK: - Delivery thread

    /// Starts the delivery thread. Idempotent.
    public func start() {
        // TLS writes go through write(2); a peer that hangs up must not kill the process.
        signal(SIGPIPE, SIG_IGN)
        control.withLock { c in
            guard !c.started else { return }
            c.started = true
            // The new thread's first look at `control` waits for this closure, so `thread` is set before it runs.
            c.thread = OSThread(name: "fx-outbox") { [self] in self.run() }
        }
    }

    /// Asks the delivery thread to look for due messages now (call after committing an `enqueue`).
    public func wake() {
        lock.withLock {
            control.withLock { $0.wakePending = true }
            lock.broadcast()
        }
    }

    /// Stops the delivery thread and waits for it, at most `settings.stopTimeoutMilliseconds` (a delivery in
    /// flight finishes first; drivers bound their own calls). Call before closing the database. Idempotent.
    public func stop() {
        let running = lock.withLock { () -> Bool in
            let running = control.withLock { c -> Bool in
                c.stopping = true
                return c.thread != nil
            }
            lock.broadcast()
            return running
        }
        guard running else { return }
        let deadline = Self.monotonicMilliseconds() + Int64(settings.stopTimeoutMilliseconds)
        let finished = lock.withLock { () -> Bool in
            while !control.withLock({ $0.finished }) {
                let left = deadline - Self.monotonicMilliseconds()
                if left <= 0 { return false }
                lock.wait(milliseconds: Int(min(left, 100)))
            }
            return true
        }
        if finished {
            let joining = control.withLock { c -> OSThread? in
                defer { c.thread = nil }
                return c.thread
            }
            joining?.join()
        } else {
            logger.error("outbox thread did not stop in time", metadata: ["timeout_ms": "\(settings.stopTimeoutMilliseconds)"])
        }
    }

    private static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    private var isStopping: Bool { control.withLock { $0.stopping } }

    private func run() {
        while !isStopping {
            var waitMilliseconds = settings.pollMilliseconds
            do {
                if let nextDue = try deliverDueMessages() {
                    waitMilliseconds = Int(max(0, min(Int64(settings.pollMilliseconds), nextDue)))
                }
            } catch {
                logger.error("outbox round failed", metadata: ["error_type": "\(String(describing: type(of: error)))"])
            }
            lock.withLock {
                let skip = control.withLock { $0.wakePending || $0.stopping }
                if !skip && waitMilliseconds > 0 { lock.wait(milliseconds: waitMilliseconds) }
                control.withLock { $0.wakePending = false }
            }
        }
        lock.withLock {
            control.withLock { $0.finished = true }
            lock.broadcast()
        }
    }

    /// One round: delivers up to one batch of due messages, oldest first. Returns the milliseconds until the
    /// next pending message is due (0 when more are due now), or nil when nothing is pending.
    package func deliverDueMessages() throws -> Int64? {
        let now = clock()
        let due = try database.read { db in try OutboxStore.due(now: now, limit: settings.batchSize, in: db) }
        for message in due {
            if isStopping { return nil }
            // Several nodes may share the database: claim the message first (a lease pushes its next attempt
            // past every other outbox thread's view), so only one of them delivers it.
            guard let attempts = try claim(message.id, now: clock()) else { continue }
            guard let body = seal.open(message.body) else {
                try record(.failed(reason: "the sealed body cannot be opened with this server key"), for: message, attempts: settings.maxAttempts)
                continue
            }
            var message = message
            message.body = body
            let result = driver.deliver(message)
            try record(result, for: message, attempts: attempts)
        }
        let isFull = due.count == settings.batchSize
        let (count, next) = try database.read { db in
            (try OutboxStore.pendingCount(in: db), isFull ? nil : try OutboxStore.nextAttemptAt(in: db))
        }
        pending.store(count, ordering: .relaxed)
        if isFull { return 0 }
        return next.map { max(0, $0 - clock()) }
    }

    /// The `last_error` of a message whose delivery began and never reported back (the process died in it).
    package static let interruptedError = "delivery interrupted"

    /// Takes the lease on a due message and counts the attempt in the same write, before the driver runs: a
    /// message whose delivery kills the process (a hostile upstream) is then retried at most `maxAttempts` times
    /// over restarts and given up, instead of crashing every restart. Returns the attempt's number, or nil when
    /// another node took the message first or its attempts are used up (it is then marked failed).
    private func claim(_ id: Int64, now: Int64) throws -> Int? {
        let attempts: Int? = try database.write { db in
            guard let attempts = try OutboxStore.claim(id: id, now: now, leaseUntil: now + settings.leaseMilliseconds,
                                                       interruptedError: Self.interruptedError, in: db)
            else { return nil }
            guard attempts <= settings.maxAttempts else {
                try OutboxStore.giveUp(id: id, now: now, attempts: attempts - 1, redact: settings.redactsBody,
                                       redactedBody: OutboxSettings.redactedBody, in: db)
                return 0
            }
            return attempts
        }
        if attempts == 0 {
            logger.error("outbox message given up", metadata: ["outbox_id": "\(id)", "error": "\(Self.interruptedError)"])
            return nil
        }
        return attempts
    }

    private func record(_ result: DeliveryResult, for message: StoredOutboxMessage, attempts: Int) throws {
        let now = clock()
        switch result {
        case .delivered:
            try database.write { db in
                try OutboxStore.markDelivered(id: message.id, now: now, attempts: attempts,
                                              redactedBody: settings.redactsBody ? OutboxSettings.redactedBody : nil, in: db)
            }
        case .failed(let reason):
            let error = Self.truncate(reason)
            if attempts >= settings.maxAttempts {
                try database.write { db in
                    try OutboxStore.giveUp(id: message.id, now: now, attempts: attempts, error: error, redact: settings.redactsBody,
                                           redactedBody: OutboxSettings.redactedBody, in: db)
                }
                logger.error("outbox message given up", metadata: [
                    "outbox_id": "\(message.id)", "kind": "\(message.kind)", "attempts": "\(attempts)", "error": "\(error)",
                ])
            } else {
                let delay = OutboxBackoff.delay(afterAttempt: attempts, base: settings.backoffBaseMilliseconds,
                                                cap: settings.backoffCapMilliseconds, random: random)
                try database.write { db in
                    try OutboxStore.reschedule(id: message.id, attempts: attempts, error: error, nextAttemptAt: now + delay, in: db)
                }
                logger.warning("outbox delivery failed", metadata: [
                    "outbox_id": "\(message.id)", "kind": "\(message.kind)", "attempts": "\(attempts)",
                    "retry_in_ms": "\(delay)", "error": "\(error)",
                ])
            }
        }
    }

    package static func truncate(_ reason: String) -> String {
        guard reason.utf8.count > maxErrorBytes else { return reason }
        var out = ""
        for character in reason {
            if out.utf8.count + character.utf8.count > maxErrorBytes { break }
            out.append(character)
        }
        return out
    }
}
