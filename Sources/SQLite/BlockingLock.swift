#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread mutex guarding a value. The writer lock is held for a whole transaction (including the commit's
/// fsync), so waiters should sleep in the kernel at once rather than spin: on a 2-core machine spinning workers
/// take CPU from the very thread they wait for.
final class BlockingLock<Value>: @unchecked Sendable {
    // Invariant: `value` is only touched between pthread_mutex_lock and unlock on `mutex`; the mutex is heap
    // allocated once and never moved.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
