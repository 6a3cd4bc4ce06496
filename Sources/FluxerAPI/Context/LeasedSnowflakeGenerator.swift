#if canImport(Glibc)
import FluxerDomain
import Glibc
#endif
import FluxerCrypto
import HTTPServer
import Logging
import Synchronization
import FluxerPersistence

/// Anything that mints snowflake ids: the leased generator in the server and CLI, a bare generator in tests.
public protocol SnowflakeSource: Sendable {
    /// The next id, unique across every process on the database.
    func next() throws -> UInt64
}

extension SnowflakeGenerator: SnowflakeSource {}

/// Lease length and heartbeat of a snowflake worker id.
///
/// Correctness never depends on them (nor on clocks agreeing): a holder mints only up to the end of the lease it
/// last recorded, and whoever takes the id after it mints only above that (`worker_leases.floor_ms`). They trade
/// liveness:
/// - `duration` (60 s) is how long a crashed process (kill -9, power loss) keeps its id from others. With 1024 ids,
///   a process crash-looping every second holds at most 60, and a restarted node simply takes another.
/// - `heartbeat` (10 s) gives five renewals per lease; each waits up to `database.busy_timeout_ms` (5 s by default)
///   for the write lock, so only a database unwritable for ~50 s makes a live server stop minting ids.
package struct WorkerLeasePolicy: Sendable {
    /// How far each acquisition or renewal pushes `expires_at`.
    package var durationMilliseconds: Int64 = 60_000
    /// How often the holder renews.
    package var heartbeatMilliseconds: Int64 = 10_000

    package static let standard = WorkerLeasePolicy()
}

/// Why no id could be minted.
public enum WorkerLeaseError: Error, CustomStringConvertible {
    /// The lease ended (could not be renewed in time, was taken over, or was released): minting now could
    /// duplicate another process's id.
    case notHeld

    public var description: String { "snowflake worker id lease is not held" }
}

/// A `SnowflakeGenerator` whose worker id is leased from the database (DESIGN.md: everything unique across
/// processes is leased, never configured). Mints only while the lease is held, and never past its recorded end.
///
/// The heartbeat renews the lease; a lease found lost is replaced by a fresh one (a new worker id) at the next
/// beat, and until then `next()` throws.
public final class LeasedSnowflakeGenerator: SnowflakeSource {
    private struct Held {
        package var lease: GrantedWorkerLease
        package var token: String
        package var generator: SnowflakeGenerator
        /// The `expires_at` last committed: nothing is minted past it.
        package var deadline: Int64
    }

    private let store: any WorkerLeaseStorage
    private let policy: WorkerLeasePolicy
    private let clock: @Sendable () -> Int64
    private let logger: Logger?
    private let held: Mutex<Held?>
    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<OSThread?>(nil)

    private init(store: any WorkerLeaseStorage, policy: WorkerLeasePolicy, clock: @escaping @Sendable () -> Int64,
                 logger: Logger?, held: Held) {
        self.store = store
        self.policy = policy
        self.clock = clock
        self.logger = logger
        self.held = Mutex(held)
    }

    /// Leases a worker id (one write transaction) and returns a generator minting under it.
    package static func acquire(store: any WorkerLeaseStorage, policy: WorkerLeasePolicy = .standard,
                        clock: @escaping @Sendable () -> Int64 = SnowflakeGenerator.wallClockMilliseconds,
                        logger: Logger? = nil) throws(StartupError) -> LeasedSnowflakeGenerator {
        let held: Held?
        do {
            held = try take(store: store, policy: policy, clock: clock)
        } catch {
            throw .database("cannot lease a snowflake worker id: \(error)")
        }
        guard let held else {
            throw .workerIDs("all 1024 snowflake worker ids are leased by live processes (table worker_leases); "
                + "stop one, or wait up to \(policy.durationMilliseconds / 1000) s for the lease of a dead one to expire")
        }
        return LeasedSnowflakeGenerator(store: store, policy: policy, clock: clock, logger: logger, held: held)
    }

    private static func take(store: any WorkerLeaseStorage, policy: WorkerLeasePolicy,
                             clock: @escaping @Sendable () -> Int64) throws -> Held? {
        let holder = WorkerLeaseHolder(token: Base64URL.encode(SecureRandom.bytes(16)), pid: getpid(), hostname: hostName())
        let now = clock()
        let expiresAt = now + policy.durationMilliseconds
        guard let lease = try store.acquire(holder, now: now, expiresAt: expiresAt) else { return nil }
        let generator = SnowflakeGenerator(workerID: lease.workerID, after: lease.floor, clock: clock)
        return Held(lease: lease, token: holder.token, generator: generator, deadline: expiresAt)
    }

    /// The leased worker id, or nil while no lease is held.
    public var workerID: UInt16? {
        held.withLock { $0?.lease.workerID }
    }

    /// The next id; throws when the lease is not held or its recorded end has passed.
    public func next() throws(WorkerLeaseError) -> UInt64 {
        // Minting and release share this lock, so no id is minted after release read the high-water mark.
        let id = held.withLock { held in held.flatMap { $0.generator.next(notAfter: $0.deadline) } }
        guard let id else { throw .notHeld }
        return id
    }

    /// Renews the lease, or replaces a lost one; returns whether a lease is held afterwards.
    @discardableResult
    package func heartbeat() -> Bool {
        guard !stopped.load(ordering: .relaxed) else { return false }
        guard let current = held.withLock({ $0 }) else {
            do {
                guard let fresh = try Self.take(store: store, policy: policy, clock: clock) else { return false }
                held.withLock { $0 = fresh }
                logger?.notice("snowflake worker id leased", metadata: ["worker_id": "\(fresh.lease.workerID)"])
                return true
            } catch {
                logger?.error("snowflake worker id lease failed", metadata: ["error": "\(error)"])
                return false
            }
        }
        let now = clock()
        let expiresAt = now + policy.durationMilliseconds
        do {
            if try store.renew(workerID: current.lease.workerID, token: current.token, now: now, expiresAt: expiresAt) {
                held.withLock { held in
                    guard var renewed = held, renewed.token == current.token else { return }
                    renewed.deadline = max(renewed.deadline, expiresAt)
                    held = renewed
                }
                return true
            }
            // Another process took the id (ours had expired): stop minting under it at once.
            held.withLock { if $0?.token == current.token { $0 = nil } }
            logger?.error("snowflake worker id lease lost", metadata: ["worker_id": "\(current.lease.workerID)"])
            return false
        } catch {
            // Not renewed: minting goes on until the recorded end, then stops by itself.
            logger?.warning("snowflake worker id lease not renewed", metadata: ["error": "\(error)"])
            return now < current.deadline
        }
    }

    /// Renews every `policy.heartbeatMilliseconds` on a thread of its own until `release()`.
    package func startHeartbeat() {
        let worker = OSThread(name: "fx-lease") { [self] in
            while true {
                // `stopped` is read under the lock `release()` signals with, so its wake-up is never lost.
                lock.withLock { if !stopped.load(ordering: .relaxed) { lock.wait(milliseconds: Int(policy.heartbeatMilliseconds)) } }
                if stopped.load(ordering: .relaxed) { return }
                heartbeat()
            }
        }
        thread.withLock { $0 = worker }
    }

    /// Stops the heartbeat and frees the worker id, recording what was minted so the next holder stays above it.
    /// Idempotent; `next()` throws afterwards.
    package func release() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        lock.withLock { lock.signal() }
        thread.withLock { $0 }?.join()
        guard let last = held.withLock({ held -> Held? in
            defer { held = nil }
            return held
        }) else { return }
        do {
            try store.release(workerID: last.lease.workerID, token: last.token, highWaterMark: last.generator.highWaterMark)
        } catch {
            // The lease then simply expires; its end is already the floor for the next holder.
            logger?.warning("snowflake worker id not released", metadata: ["error": "\(error)"])
        }
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
