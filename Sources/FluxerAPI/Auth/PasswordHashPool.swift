import FluxerCrypto
import HTTPServer

/// argon2id runs here: a few threads (one per core by default) with a bounded queue, so a login storm uses at
/// most threads × memlimit of memory and never occupies the HTTP workers (callers continue in a callback).
public final class PasswordHashPool: Sendable {
    /// The hasher (parameters from configuration).
    public let hasher: PasswordHasher
    private let pool: WorkerPool
    /// A hash of a random password with the same parameters: verifying against it makes an unknown email cost
    /// exactly as much as a wrong password (no user enumeration by timing).
    private let decoy: String

    /// Starts `threads` hashing threads with at most `maxQueued` waiting jobs.
    public init(hasher: PasswordHasher, threads: Int, maxQueued: Int) throws {
        self.hasher = hasher
        self.pool = WorkerPool(name: "fx-argon2", count: threads, maxQueued: maxQueued)
        self.decoy = try hasher.hash(Base64URL.encode(SecureRandom.bytes(24)))
    }

    /// Verifies `password` against `encoded` (or the decoy when nil) on the pool, then calls `done` there with
    /// the result. Returns false when the queue is full (the caller answers 503).
    @discardableResult
    public func verify(_ password: String, against encoded: String?, _ done: @escaping @Sendable (Bool) -> Void) -> Bool {
        let hasher = self.hasher
        let target = encoded ?? decoy
        let isReal = encoded != nil
        return pool.submit {
            let ok = hasher.verify(password, against: target)
            done(ok && isReal)
        }
    }

    /// Hashes `password` on the pool and calls `done` there with the PHC string (nil on failure).
    @discardableResult
    public func hash(_ password: String, _ done: @escaping @Sendable (String?) -> Void) -> Bool {
        let hasher = self.hasher
        return pool.submit { done(try? hasher.hash(password)) }
    }

    /// Hash jobs waiting for a thread (the `argon2` worker queue depth).
    public var queuedJobs: Int { pool.queuedCount }

    /// Stops the threads after queued jobs finish.
    public func stop() { pool.stop() }
}
