/// A fixed set of threads running handler jobs from a bounded queue, so a slow handler (SQLite, argon2id)
/// never stalls an event loop and a burst cannot grow memory without bound.
public final class WorkerPool: @unchecked Sendable {
    // Invariant: `jobs`, `stopping` are only touched under `lock`; `threads` is set in init and read in stop.
    private let lock = ConditionLock()
    private var jobs: [(@Sendable () -> Void)] = []
    private var head = 0
    private var stopping = false
    private var threads: [OSThread] = []
    private let maxQueued: Int

    /// Starts `count` threads; at most `maxQueued` jobs wait.
    public init(name: String, count: Int, maxQueued: Int) {
        self.maxQueued = maxQueued
        for i in 0..<max(1, count) {
            threads.append(OSThread(name: "\(name)-\(i)") { [unowned self] in self.run() })
        }
    }

    /// Queues a job; returns false when the queue is full or the pool is stopping.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        lock.withLock {
            guard !stopping, jobs.count - head < maxQueued else { return false }
            jobs.append(job)
            lock.signal()
            return true
        }
    }

    /// Jobs waiting for a thread (a gauge: read under the queue's lock, so never torn).
    public var queuedCount: Int { lock.withLock { jobs.count - head } }

    /// Lets queued jobs finish, then joins the threads.
    public func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        threads.forEach { $0.join() }
    }

    private func run() {
        while true {
            let job: (@Sendable () -> Void)? = lock.withLock {
                while head == jobs.count && !stopping { lock.wait() }
                if head == jobs.count { return nil }
                let job = jobs[head]
                head += 1
                if head > 1024 && head * 2 > jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                return job
            }
            guard let job else { return }
            job()
        }
    }
}
