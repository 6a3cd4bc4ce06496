internal import CFluxerShim
import Synchronization

/// An address to listen on: an IPv4 or IPv6 literal and a port (0 picks a free one).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The IP literal, e.g. `127.0.0.1` or `::1`.
    public var host: String
    /// The TCP port.
    public var port: UInt16

    /// An address from its parts.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets for IPv6.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One line's worth of facts about a finished request, handed to the access-log hook. Holds no query string,
/// header value or body.
public struct RequestLogRecord: Sendable {
    /// The method, or "-" when the request could not be parsed.
    public var method: String
    /// The matched route pattern, "-" when none.
    public var route: String
    /// The status sent.
    public var status: Int
    /// Time from a complete request to its queued response.
    public var durationNanoseconds: UInt64
    /// The request id (also sent as `X-Request-Id`).
    public var requestID: String
    /// The peer address.
    public var remoteAddress: String
    /// Set when a handler threw an error that does not render itself (answered as a bare 500).
    public var unexpectedError: (any Error)?
    /// The matched route's `Router.Route.index`; -1 when none matched (404, 405, a parse error).
    public var routeIndex: Int = -1
}

/// Settings of the HTTP server.
public struct HTTPServerConfiguration: Sendable {
    /// Where to listen.
    public var listenAddresses: [ListenAddress] = [ListenAddress(host: "127.0.0.1", port: 8080)]
    /// Event loop threads (one per core by default).
    public var eventLoopCount: Int = max(1, Int(fx_cpu_count()))
    /// Handler threads.
    public var workerCount: Int = max(8, Int(fx_cpu_count()) * 4)
    /// Parser and connection limits.
    public var limits = HTTPLimits()
    /// How long a graceful shutdown waits for in-flight requests.
    public var shutdownGraceMilliseconds: Int = 10_000
    /// Listen backlog.
    public var backlog: Int32 = 1024
    /// Peer addresses exempt from `limits.maxConnectionsPerClient`: reverse proxies and load balancers, whose
    /// one address carries many clients.
    public var uncappedClientAddresses: Set<String> = []

    /// The defaults.
    public init() {}
}

/// Errors starting the server.
public enum HTTPServerError: Error, CustomStringConvertible {
    /// A listen address could not be bound.
    case bindFailed(ListenAddress, errno: Int32)
    /// The event loop could not be created.
    case epollFailed

    /// One line for the operator.
    public var description: String {
        switch self {
        case .bindFailed(let address, let errno): "cannot listen on \(address): errno \(errno)"
        case .epollFailed: "cannot create an epoll instance"
        }
    }
}

/// The NIO-free HTTP/1.1 server: one epoll event loop per core reading, parsing and writing; handlers on a
/// bounded worker pool; strict RFC 9112 parsing with limits on everything.
public final class HTTPServer: Sendable {
    let configuration: HTTPServerConfiguration
    let router: Router
    let onRequest: (@Sendable (RequestLogRecord) -> Void)?
    let workers: WorkerPool
    let connectionCount = Atomic<Int>(0)
    let connectionsByClient = ConnectionsByClient()
    let stopping = Atomic<Bool>(false)
    private let state = Mutex<RunState>(RunState())

    private struct RunState {
        var loops: [EventLoop] = []
        var threads: [OSThread] = []
        var listenFDs: [Int32] = []
        var ports: [Int] = []
        var stopped = false
    }

    /// A server that routes with `router` and reports each request to `onRequest` (called on an event loop: keep it cheap).
    public init(
        configuration: HTTPServerConfiguration, router: Router,
        onRequest: (@Sendable (RequestLogRecord) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.router = router
        self.onRequest = onRequest
        self.workers = WorkerPool(
            name: "fx-worker", count: configuration.workerCount, maxQueued: configuration.limits.maxQueuedJobs)
        fx_ignore_sigpipe()
    }

    /// Binds every listen address and starts the event loops. Throws if any address cannot be bound.
    public func start() throws {
        var fds: [Int32] = []
        var ports: [Int] = []
        for address in configuration.listenAddresses {
            let fd = fx_listen(address.host, address.port, configuration.backlog)
            if fd < 0 {
                fds.forEach { _ = fx_close($0) }
                throw HTTPServerError.bindFailed(address, errno: -fd)
            }
            fds.append(fd)
            ports.append(Int(fx_local_port(fd)))
        }
        var loops: [EventLoop] = []
        for i in 0..<max(1, configuration.eventLoopCount) {
            guard let loop = EventLoop(index: i, server: self, listenFDs: fds) else {
                fds.forEach { _ = fx_close($0) }
                throw HTTPServerError.epollFailed
            }
            loops.append(loop)
        }
        let threads = loops.map { loop in OSThread(name: "fx-loop-\(loop.index)") { loop.run() } }
        state.withLock {
            $0.loops = loops
            $0.threads = threads
            $0.listenFDs = fds
            $0.ports = ports
        }
    }

    /// The bound ports, in the order of `listenAddresses` (useful with port 0).
    public var boundPorts: [Int] { state.withLock { $0.ports } }

    /// Connections currently open.
    public var openConnections: Int { connectionCount.load(ordering: .relaxed) }

    /// Handler jobs waiting for a worker thread (not counting those running).
    public var queuedJobs: Int { workers.queuedCount }

    /// Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish (bounded by
    /// `shutdownGraceMilliseconds`), then stop the workers. Blocks until done; safe to call twice.
    public func shutdown() {
        let (loops, threads, fds, alreadyStopped) = state.withLock { s in
            defer { s.stopped = true }
            return (s.loops, s.threads, s.listenFDs, s.stopped)
        }
        guard !alreadyStopped else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        loops.forEach { $0.wake() }
        threads.forEach { $0.join() }
        fds.forEach { _ = fx_close($0) }
        loops.forEach { $0.close() }
        workers.stop()
    }

    /// Runs a synchronous handler and turns any error into a response.
    func respond(to request: HTTPRequest, with handler: HTTPHandler) -> (HTTPResponse, (any Error)?) {
        do {
            return (try handler(request), nil)
        } catch let error as HTTPResponseError {
            return (error.response, nil)
        } catch {
            return (Self.internalErrorResponse, error)
        }
    }

    /// The bare 500: no detail reaches the client.
    static var internalErrorResponse: HTTPResponse {
        HTTPResponse.error(.internalServerError, code: "INTERNAL_SERVER_ERROR", message: "Internal server error.")
    }
}
