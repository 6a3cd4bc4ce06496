import HTTPServer
import FluxerPersistence
import SQLite
import Synchronization

/// Session `last_used_at` updates, off the request path: requests queue a use at most once a minute per
/// session; a background thread writes the queue in one transaction every few seconds.
public final class SessionTouchQueue: Sendable {
    /// A session's use is written at most this often.
    public static let minimumInterval: Int64 = 60_000
    private let pending = Mutex<[[UInt8]: Int64]>([:])
    private let database: DataStore
    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<OSThread?>(nil)
    private let flushIntervalMilliseconds: Int

    package init(database: DataStore, flushIntervalMilliseconds: Int = 5_000) {
        self.database = database
        self.flushIntervalMilliseconds = flushIntervalMilliseconds
    }

    package func start() {
        let worker = OSThread(name: "fx-touch") { [self] in
            while !stopped.load(ordering: .relaxed) {
                lock.withLock { lock.wait(milliseconds: flushIntervalMilliseconds) }
                flush()
            }
        }
        thread.withLock { $0 = worker }
    }

    /// Queues a use (the newest time per session wins).
    package func enqueue(_ hash: [UInt8], time: Int64) {
        pending.withLock { p in p[hash] = max(p[hash] ?? 0, time) }
    }

    /// The newest use queued for a session and not yet written, if any: a lookup judging idle expiry counts it
    /// as the database will once it is written (SE-07).
    package func pendingUse(_ hash: [UInt8]) -> Int64? {
        pending.withLock { $0[hash] }
    }

    /// Writes everything queued now. A failed write drops the batch: these are approximate times.
    package func flush() {
        let batch = pending.withLock { p -> [([UInt8], Int64)] in
            defer { p.removeAll(keepingCapacity: true) }
            return p.map { ($0.key, $0.value) }
        }
        guard !batch.isEmpty else { return }
        _ = try? database.write { try SessionStore.touch(batch, in: $0) }
    }

    /// Flushes and stops the thread; call before the database closes.
    package func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        lock.withLock { lock.signal() }
        thread.withLock { $0 }?.join()
        flush()
    }
}
