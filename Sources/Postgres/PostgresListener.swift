internal import CFluxerShim
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A dedicated connection, on its own thread, that `LISTEN`s on channels and hands every notification to a
/// callback (PostgreSQL docs, SQL commands `LISTEN` and `NOTIFY`; libpq docs §34.9 "Asynchronous
/// Notification").
///
/// When the connection drops (a terminated backend, a restarted server, a failover), the listener reports
/// `.disconnected`, reconnects with a growing delay (50 ms doubling to 5 s) and reports `.listening(reconnected:
/// true)` once it listens again. Notifications sent while it was away are lost, not replayed: a cache fed by
/// them must treat that event as "flush everything".
///
/// The callback runs on the listener's thread: keep it short and never block in it (hand work elsewhere).
public final class PostgresListener: Sendable {
    /// What the listener reports, in order, on its thread.
    public enum Event: Sendable, Equatable {
        /// Listening on every channel. `reconnected` is true after a drop: notifications may have been missed.
        case listening(reconnected: Bool)
        /// A notification on one of the channels.
        case notification(PostgresNotification)
        /// The connection dropped or could not be opened; the listener will try again.
        case disconnected(PostgresError)
    }

    /// Longest channel name: identifiers are truncated past NAMEDATALEN − 1 = 63 bytes (PostgreSQL docs §4.1.1).
    public static let maxChannelBytes = 63
    /// First reconnect delay; doubled after each failed attempt.
    static let initialReconnectDelayMilliseconds = 50
    /// Longest reconnect delay.
    static let maxReconnectDelayMilliseconds = 5000
    /// TCP keepalives for the listener's connection (the URL may override them): an idle LISTEN connection
    /// otherwise notices a vanished server only after the kernel's default of two hours (libpq docs §34.1.2).
    static let keepalives: [(keyword: String, value: String)] = [
        ("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"), ("keepalives_count", "3"),
    ]

    private let state: ListenerState
    private let thread: Mutex<pthread_t?>

    /// Starts listening on `channels` at once, on a new thread; events go to `handler`.
    ///
    /// - Throws: `.invalidArgument` for an empty channel list, or a channel name that is empty, longer than
    ///   63 bytes or contains NUL; `.connectionFailed` if the thread or its wake-up descriptor cannot be made.
    ///   Connection failures after the start are reported as `.disconnected` events, never thrown.
    public init(
        configuration: PostgresConfiguration, channels: [String],
        handler: @escaping @Sendable (Event) -> Void
    ) throws(PostgresError) {
        guard !channels.isEmpty else { throw .invalidArgument("a listener needs at least one channel") }
        for channel in channels {
            guard !channel.isEmpty, channel.utf8.count <= Self.maxChannelBytes, !channel.utf8.contains(0) else {
                throw .invalidArgument("channel names must be 1 to 63 bytes without NUL")
            }
        }
        let wakeDescriptor = fx_eventfd()
        guard wakeDescriptor >= 0 else {
            throw PostgresError(kind: .connectionFailed, message: "cannot create the listener's eventfd")
        }
        let state = ListenerState(
            configuration: configuration, channels: channels, handler: handler, wakeDescriptor: wakeDescriptor)
        self.state = state
        var thread = pthread_t()
        let box = Unmanaged.passRetained(state).toOpaque()
        let rc = pthread_create(&thread, nil, { argument in
            let state = Unmanaged<ListenerState>.fromOpaque(argument!).takeRetainedValue()
            fx_set_thread_name("pg-listener")
            state.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<ListenerState>.fromOpaque(box).release()
            fx_close(wakeDescriptor)
            throw PostgresError(kind: .connectionFailed, message: "cannot start the listener thread (error \(rc))")
        }
        self.thread = Mutex(thread)
    }

    deinit { stop() }

    /// The server process of the current connection (for `pg_terminate_backend` in tests and diagnostics);
    /// nil while disconnected.
    public var backendProcessID: Int32? {
        let pid = state.backendProcessID.load(ordering: .acquiring)
        return pid == 0 ? nil : pid
    }

    /// Stops the thread and closes the connection; no event is delivered after it returns (unless called from
    /// the handler itself, which cannot wait for its own thread). Idempotent.
    public func stop() {
        guard let thread = thread.withLock({ value -> pthread_t? in defer { value = nil }; return value }) else {
            return
        }
        state.isStopping.store(true, ordering: .releasing)
        fx_eventfd_signal(state.wakeDescriptor)
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }
}

/// What the listener's thread owns. `Sendable` because its shared parts are atomics and `let`s; the connection
/// lives only in `run`'s locals on the listener thread.
private final class ListenerState: Sendable {
    let configuration: PostgresConfiguration
    let channels: [String]
    let handler: @Sendable (PostgresListener.Event) -> Void
    let wakeDescriptor: Int32
    let isStopping = Atomic(false)
    let backendProcessID = Atomic<Int32>(0)

    init(
        configuration: PostgresConfiguration, channels: [String],
        handler: @escaping @Sendable (PostgresListener.Event) -> Void, wakeDescriptor: Int32
    ) {
        self.configuration = configuration
        self.channels = channels
        self.handler = handler
        self.wakeDescriptor = wakeDescriptor
    }

    deinit { fx_close(wakeDescriptor) }

    private var stopping: Bool { isStopping.load(ordering: .acquiring) }

    func run() {
        var hasListened = false
        var delay = PostgresListener.initialReconnectDelayMilliseconds
        while !stopping {
            let connection: PostgresConnection
            do {
                connection = try listen()
            } catch {
                handler(.disconnected(error))
                sleep(milliseconds: delay)
                delay = min(delay * 2, PostgresListener.maxReconnectDelayMilliseconds)
                continue
            }
            delay = PostgresListener.initialReconnectDelayMilliseconds
            backendProcessID.store(connection.backendProcessID, ordering: .releasing)
            handler(.listening(reconnected: hasListened))
            hasListened = true
            let lost = deliver(on: connection)
            backendProcessID.store(0, ordering: .releasing)
            connection.close()
            if let lost, !stopping {
                handler(.disconnected(lost))
                sleep(milliseconds: delay)
            }
        }
    }

    /// Connects and runs `LISTEN` for every channel (outside a transaction, so it takes effect at once).
    private func listen() throws(PostgresError) -> PostgresConnection {
        let connection = try PostgresConnection(configuration: configuration, defaults: PostgresListener.keepalives)
        for channel in channels {
            try connection.execute("LISTEN " + PostgresConnection.quoteIdentifier(channel))
        }
        return connection
    }

    /// Waits for input and hands out notifications until the connection breaks (returns why) or `stop` is
    /// called (returns nil).
    private func deliver(on connection: PostgresConnection) -> PostgresError? {
        // Notifications may already have arrived with the LISTEN replies.
        while let notification = connection.nextNotification() { handler(.notification(notification)) }
        var descriptors = [
            pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while !stopping {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return PostgresError(kind: .connectionLost, message: "poll failed (errno \(errno))")
            }
            if descriptors[1].revents != 0 { return nil }
            guard descriptors[0].revents != 0 else { continue }
            guard connection.consumeInput() else {
                return PostgresError(kind: .connectionLost, message: "the listener's connection was closed")
            }
            while let notification = connection.nextNotification() { handler(.notification(notification)) }
        }
        return nil
    }

    /// Sleeps, but wakes at once when `stop` signals.
    private func sleep(milliseconds: Int) {
        var descriptor = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, Int32(milliseconds))
    }
}
