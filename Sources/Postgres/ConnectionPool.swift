internal import CFluxerShim
import Dispatch
import Synchronization

/// Holds one `PostgresConnection` inside the `Sendable` pool.
///
/// Invariant (why `@unchecked Sendable` is sound): the connection is touched only by the thread that checked it
/// out, from `checkout` until `checkin`; while it sits in the idle list nobody touches it but the pool, under
/// the pool's mutex.
final class ConnectionBox: @unchecked Sendable {
    let connection: PostgresConnection

    init(_ connection: PostgresConnection) {
        self.connection = connection
    }
}

/// A blocking pool of at most `poolSize` connections. Connections open lazily; an idle one is checked before
/// it is handed out, and a broken one (or one left inside a transaction) is closed on check-in, so the next
/// checkout opens a fresh one in its place.
///
/// `checkout` blocks the calling thread, never an async task: call it from worker threads only (DESIGN.md,
/// "Architecture": libpq blocks its thread and must stay off Swift concurrency's cooperative pool).
final class ConnectionPool: Sendable {
    private let configuration: PostgresConfiguration
    /// One permit per connection the pool may have out or open; a checkout holds one until its check-in.
    private let permits: DispatchSemaphore
    private let state: Mutex<State>

    private struct State {
        var idle: [ConnectionBox] = []
        var isClosed = false
    }

    init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        self.permits = DispatchSemaphore(value: configuration.poolSize)
        self.state = Mutex(State())
    }

    /// Takes an idle connection or opens one, waiting at most the checkout timeout for a free slot.
    ///
    /// - Throws: `.unavailable` when no slot frees up in time, `.connectionFailed` when a new connection cannot
    ///   be opened, `.closed` after `close`.
    func checkout() throws(PostgresError) -> ConnectionBox {
        if state.withLock({ $0.isClosed }) { throw .closed }
        let timeout = configuration.checkoutTimeoutMilliseconds
        guard permits.wait(timeout: .now() + .milliseconds(timeout)) == .success else {
            throw PostgresError(
                kind: .unavailable,
                message: "no connection became free within \(timeout) ms (pool size \(configuration.poolSize))")
        }
        let taken = state.withLock { state -> (closed: Bool, box: ConnectionBox?) in
            state.isClosed ? (true, nil) : (false, state.idle.popLast())
        }
        if taken.closed {
            permits.signal()
            throw .closed
        }
        if let box = taken.box {
            if box.connection.isAliveAfterIdle() { return box }
            box.connection.close()
        }
        do {
            return ConnectionBox(try PostgresConnection(configuration: configuration))
        } catch {
            permits.signal()
            throw error
        }
    }

    /// Returns a connection. One that is broken, or not idle outside a transaction, is closed instead of kept.
    func checkin(_ box: ConnectionBox) {
        let connection = box.connection
        let reusable = !connection.isBroken && connection.transactionStatus == PQTRANS_IDLE
        if !reusable { connection.close() }
        let keep = state.withLock { state -> Bool in
            guard reusable, !state.isClosed else { return false }
            state.idle.append(box)
            return true
        }
        if reusable && !keep { connection.close() }
        permits.signal()
    }

    /// Closes idle connections at once and the others as they come back; later checkouts throw `.closed`.
    /// Waits for every checked-out connection to be returned. Idempotent.
    func close() {
        let alreadyClosed = state.withLock { state -> Bool in
            defer { state.isClosed = true }
            return state.isClosed
        }
        guard !alreadyClosed else { return }
        for _ in 0..<configuration.poolSize { permits.wait() }
        let idle = state.withLock { state -> [ConnectionBox] in
            defer { state.idle.removeAll() }
            return state.idle
        }
        for box in idle { box.connection.close() }
        for _ in 0..<configuration.poolSize { permits.signal() }
    }
}
