#if canImport(Glibc)
import Glibc
#endif
internal import CFluxerShim

/// A joinable OS thread. Blocking work (epoll, SQLite, argon2id) runs on these, never on Swift's cooperative pool.
public final class OSThread: @unchecked Sendable {
    // Invariant: `handle` is written once in `init` before any other thread can see `self`, and read by `join`.
    private var handle = pthread_t()

    /// Starts `body` on a new thread.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let rc = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            fx_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    /// Waits for the thread to finish.
    public func join() {
        pthread_join(handle, nil)
    }

    /// Lets the thread finish on its own (its resources are freed when it ends); never join it afterwards.
    public func detach() {
        pthread_detach(handle)
    }

    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}

/// A mutex with a condition variable, for the few places that must block a thread until work arrives.
public final class ConditionLock: @unchecked Sendable {
    // Invariant: the pthread objects are initialised once, never moved (heap-allocated), destroyed in deinit.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// A new lock.
    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Runs `body` holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on the condition; call only while holding the lock (inside `withLock`).
    public func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits at most `milliseconds`; call only while holding the lock.
    public func wait(milliseconds: Int) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var deadline = now
        let ns = Int(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        deadline.tv_sec += milliseconds / 1000 + ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        pthread_cond_timedwait(cond, mutex, &deadline)
    }

    /// Wakes one waiter.
    public func signal() { pthread_cond_signal(cond) }
    /// Wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(cond) }
}
