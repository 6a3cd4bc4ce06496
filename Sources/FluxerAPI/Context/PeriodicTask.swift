import HTTPServer
import Synchronization

/// A dedicated thread that runs a blocking job every `intervalMilliseconds` (database reads never run on Swift
/// concurrency's pool, DESIGN "Architecture") until `stop`, which wakes it and waits for it to end.
package final class PeriodicTask: Sendable {
    private let name: String
    private let intervalMilliseconds: Int
    private let body: @Sendable () -> Void
    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<OSThread?>(nil)

    package init(name: String, intervalMilliseconds: Int, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        self.intervalMilliseconds = intervalMilliseconds
        self.body = body
    }

    /// Starts the thread; the first run is one interval from now.
    package func start() {
        let worker = OSThread(name: name) { [self] in
            while true {
                lock.withLock { if !stopped.load(ordering: .relaxed) { lock.wait(milliseconds: intervalMilliseconds) } }
                guard !stopped.load(ordering: .relaxed) else { return }
                body()
            }
        }
        thread.withLock { $0 = worker }
    }

    /// Stops the thread (a run in progress finishes first). Idempotent.
    package func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        lock.withLock { lock.signal() }
        thread.withLock { $0 }?.join()
    }
}
