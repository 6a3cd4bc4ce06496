import FluxerPersistence
import Logging
import Synchronization

/// A process's ear on the SQLite cache-invalidation log (`CacheInvalidationBus` on SQLite): every
/// `intervalMilliseconds` it reads what other processes on the same file (another server, a CLI command such as
/// `user disable`) revoked since its last look and applies it to the principal cache. Entries this process wrote
/// itself are applied again, which costs a cache miss at most.
package final class CacheInvalidationPoller: Sendable {
    /// How often the log is read: a revocation made by another process is honoured within this.
    package static let intervalMilliseconds = 200
    /// Entries applied per read.
    static let batch = 1_000

    private let database: DataStore
    private let cache: PrincipalCache
    private let logger: Logger
    private let lastID: Atomic<Int64>
    private let task = Mutex<PeriodicTask?>(nil)

    /// Starts from the newest entry: what was revoked before this process started was in the database already.
    package init(database: DataStore, cache: PrincipalCache, logger: Logger) throws {
        self.database = database
        self.cache = cache
        self.logger = logger
        lastID = Atomic(try database.read { try CacheInvalidationStore.latestID(in: $0) })
    }

    package func start() {
        let task = PeriodicTask(name: "fx-invalidate", intervalMilliseconds: Self.intervalMilliseconds) { [self] in poll() }
        self.task.withLock { $0 = task }
        task.start()
    }

    package func stop() { task.withLock { $0 }?.stop() }

    /// Applies every entry newer than the last one seen; returns how many it applied.
    @discardableResult
    package func poll() -> Int {
        var applied = 0
        do {
            while true {
                let after = lastID.load(ordering: .relaxed)
                let entries = try database.read { try CacheInvalidationStore.after(id: after, limit: Self.batch, in: $0) }
                for entry in entries {
                    CacheInvalidationBus.apply(CacheInvalidationBus.parse(entry.payload), to: cache)
                }
                if let last = entries.last { lastID.store(last.id, ordering: .relaxed) }
                applied += entries.count
                if entries.count < Self.batch { return applied }
            }
        } catch {
            // The next poll tries again; the cache TTL still bounds what a missed entry could cost.
            logger.warning("cache invalidation log unreadable", metadata: ["error": "\(error)"])
            return applied
        }
    }
}
