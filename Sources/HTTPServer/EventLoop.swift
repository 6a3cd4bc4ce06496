internal import CFluxerShim
import Synchronization

/// One epoll loop on its own thread: accepts, reads, parses, writes and enforces timeouts for its connections.
/// Handler work goes to the worker pool; results come back through `completions` and an eventfd wake-up.
final class EventLoop: @unchecked Sendable {
    // Invariant: every stored property except `completions`, `wakeFD` and `epfd` is touched only on the loop
    // thread (inside `run`). Other threads only call `wake()` and `post(_:)`.
    let index: Int
    private unowned let server: HTTPServer
    private let epfd: Int32
    private let wakeFD: Int32
    private let listenFDs: [Int32]
    private let limits: HTTPLimits
    private var connections: [UInt64: Connection] = [:]
    private var nextConnectionID: UInt64
    /// Results from workers; `closed` is set under the same lock before the descriptors are closed, so a late
    /// deferred response can never write to a recycled file descriptor.
    private let completions = Mutex<(list: [Completion], closed: Bool)>(([], false))
    private var draining = false
    private var drainDeadline: UInt64 = 0
    private var now: UInt64 = 0
    private var nextSweep: UInt64 = 0
    private var dateSecond: Int64 = -1
    private var date: [UInt8] = []
    private var requestCounter: UInt64 = 0
    private let readBuffer: UnsafeMutableRawBufferPointer

    private static let wakeTag: UInt64 = 0
    private static let firstConnectionID: UInt64 = 1 << 32
    private static let readChunk = 64 * 1024
    private static let maxPendingOutput = 256 * 1024
    private static let lingerMilliseconds: UInt64 = 2_000
    private static let sweepIntervalMilliseconds: UInt64 = 100

    struct Completion {
        let connectionID: UInt64
        let request: HTTPRequest
        let response: HTTPResponse
        let error: (any Error)?
        let startedAt: UInt64
    }

    init?(index: Int, server: HTTPServer, listenFDs: [Int32]) {
        let epfd = fx_epoll_create()
        guard epfd >= 0 else { return nil }
        let wakeFD = fx_eventfd()
        guard wakeFD >= 0, fx_epoll_add(epfd, wakeFD, UInt32(FX_EV_IN), Self.wakeTag) == 0 else {
            _ = fx_close(epfd)
            return nil
        }
        for (i, fd) in listenFDs.enumerated() {
            // EPOLLEXCLUSIVE: one loop is woken per incoming connection, not all of them.
            guard fx_epoll_add(epfd, fd, UInt32(FX_EV_IN) | UInt32(bitPattern: Int32(FX_EV_EXCLUSIVE)), UInt64(i + 1)) == 0 else {
                _ = fx_close(epfd)
                _ = fx_close(wakeFD)
                return nil
            }
        }
        self.index = index
        self.server = server
        self.epfd = epfd
        self.wakeFD = wakeFD
        self.listenFDs = listenFDs
        self.limits = server.configuration.limits
        self.nextConnectionID = Self.firstConnectionID
        self.readBuffer = .allocate(byteCount: Self.readChunk, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
        // Closed only here, never in `close()`: a worker may still signal it after the loop has stopped (its job
        // holds this object), and a descriptor closed earlier could by then be another connection's.
        _ = fx_close(wakeFD)
    }

    /// Wakes the loop from another thread.
    func wake() {
        _ = fx_eventfd_signal(wakeFD)
    }

    /// Hands a worker's result back to the loop. Only the completion that finds the list empty signals the
    /// eventfd, and outside the lock: the loop drains the eventfd before it takes the list, so every completion
    /// appended after a take is followed by a signal, and a batch of completions costs one wake-up.
    func post(_ completion: Completion) {
        let first = completions.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.list.append(completion)
            return state.list.count == 1
        }
        if first { _ = fx_eventfd_signal(wakeFD) }
    }

    /// Releases the loop's epoll descriptor after `run` has returned; later completions are dropped.
    func close() {
        completions.withLock { state in
            state.closed = true
            state.list.removeAll()
            _ = fx_close(epfd)
        }
    }

    // MARK: - Loop

    func run() {
        var events = [UInt32](repeating: 0, count: 256)
        var tags = [UInt64](repeating: 0, count: 256)
        refreshClock()
        while true {
            let timeout = draining ? 50 : Int32(Self.sweepIntervalMilliseconds)
            let n = events.withUnsafeMutableBufferPointer { ev in
                tags.withUnsafeMutableBufferPointer { tg in
                    fx_epoll_wait(epfd, ev.baseAddress, tg.baseAddress, 256, Int32(timeout))
                }
            }
            refreshClock()
            if n > 0 {
                for i in 0..<Int(n) {
                    let tag = tags[i]
                    if tag == Self.wakeTag {
                        _ = fx_eventfd_drain(wakeFD)
                        handleCompletions()
                    } else if tag < Self.firstConnectionID {
                        if !draining { acceptAll(listenFDs[Int(tag) - 1]) }
                    } else if let connection = connections[tag] {
                        handle(connection, events: events[i])
                    }
                }
            }
            if !draining && server.stopping.load(ordering: .relaxed) { beginDraining() }
            if now >= nextSweep {
                nextSweep = now + Self.sweepIntervalMilliseconds
                sweep()
            }
            if draining {
                handleCompletions()
                if connections.isEmpty || now >= drainDeadline {
                    for connection in Array(connections.values) { close(connection) }
                    return
                }
            }
        }
    }

    private func refreshClock() {
        now = fx_monotonic_ms()
        let second = fx_wall_ms() / 1000
        if second != dateSecond {
            dateSecond = second
            var buf = [CChar](repeating: 0, count: 40)
            let len = fx_http_date(second, &buf, 40)
            date = buf[0..<Int(len)].map { UInt8(bitPattern: $0) }
        }
    }

    private func beginDraining() {
        draining = true
        drainDeadline = now + UInt64(server.configuration.shutdownGraceMilliseconds)
        for fd in listenFDs { _ = fx_epoll_del(epfd, fd) }
        for connection in Array(connections.values) {
            if case .reading = connection.phase, !connection.parser.isMidMessage, connection.pendingOutput == 0 {
                close(connection)
            }
        }
    }

    // MARK: - Accept

    private func acceptAll(_ listenFD: Int32) {
        var peer = [CChar](repeating: 0, count: 64)
        for _ in 0..<64 {
            let fd = fx_accept(listenFD, &peer, 64)
            if fd < 0 { return }  // EAGAIN (another loop took it) or a transient error such as EMFILE
            let address = String(decoding: peer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let count = server.connectionCount.wrappingAdd(1, ordering: .relaxed).newValue
            if count > limits.maxConnections {
                refuse(fd)
                continue
            }
            var clientKey: String?
            if limits.maxConnectionsPerClient > 0 && !server.configuration.uncappedClientAddresses.contains(address) {
                let key = ClientKey.of(address)
                guard server.connectionsByClient.open(key, cap: limits.maxConnectionsPerClient) else {
                    refuse(fd)
                    continue
                }
                clientKey = key
            }
            _ = fx_set_nodelay(fd)
            let id = nextConnectionID
            nextConnectionID += 1
            let connection = Connection(id: id, fd: fd, peer: address, limits: limits, now: now)
            connection.clientKey = clientKey
            connections[id] = connection
            connection.interest = UInt32(FX_EV_IN)
            if fx_epoll_add(epfd, fd, connection.interest, id) != 0 { close(connection) }
        }
    }

    /// Over the connection cap: a best-effort 503 and close, so the client is told rather than left hanging.
    private func refuse(_ fd: Int32) {
        var out: [UInt8] = []
        var response = HTTPResponse.error(.serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: "Too many connections.")
        response.headers.add("Retry-After", "1")
        ResponseSerializer.write(response, to: &out, date: date, requestID: "", isHead: false, closing: true, version: .http11)
        _ = out.withUnsafeBytes { fx_send(fd, $0.baseAddress, $0.count) }
        _ = fx_close(fd)
        server.connectionCount.subtract(1, ordering: .relaxed)
    }

    // MARK: - I/O

    private func handle(_ connection: Connection, events: UInt32) {
        if events & UInt32(FX_EV_ERR | FX_EV_HUP) != 0 {
            close(connection)
            return
        }
        if events & UInt32(FX_EV_OUT) != 0 {
            flush(connection)
            if connections[connection.id] == nil { return }
        }
        if events & UInt32(FX_EV_IN) != 0 {
            readAvailable(connection)
        }
    }

    private func readAvailable(_ connection: Connection) {
        if connection.isLingering {
            drainLingering(connection)
            return
        }
        let cap = limits.maxRequestLineBytes + limits.maxHeaderBytes + limits.maxBodyBytes + Self.readChunk
        while connection.parser.bufferedByteCount < cap {
            let n = fx_recv(connection.fd, readBuffer.baseAddress, Self.readChunk)
            if n > 0 {
                if connection.parser.bufferedByteCount == 0 && connection.messageStartedAt == nil {
                    connection.messageStartedAt = now
                }
                connection.lastProgressAt = now
                connection.parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                if n < Self.readChunk { break }
            } else if n == 0 {
                connection.peerClosed = true
                break
            } else if n == -Int(EAGAIN_VALUE) {
                break
            } else {
                close(connection)
                return
            }
        }
        processRequests(connection)
    }

    /// Parses and dispatches as many buffered requests as ordering allows.
    private func processRequests(_ connection: Connection) {
        guard connections[connection.id] != nil else { return }
        loop: while case .reading = connection.phase, connection.pendingOutput < Self.maxPendingOutput {
            switch connection.parser.next() {
            case .needMore:
                if connection.peerClosed {
                    // The client half-closed: what was complete has been answered; close once it is written.
                    if connection.pendingOutput == 0 { close(connection); return }
                    connection.phase = .closing
                }
                break loop
            case .continueExpected:
                ResponseSerializer.append(&connection.out, "HTTP/1.1 100 Continue\r\n\r\n")
            case .request(var request):
                connection.messageStartedAt = connection.parser.bufferedByteCount > 0 ? now : nil
                requestCounter &+= 1
                request.requestID = Self.hex(UInt64(index) << 48 | requestCounter)
                request.remoteAddress = connection.peer
                dispatch(consume request, on: connection)
            case .error(let error):
                var response = HTTPResponse.error(error.status, code: Self.errorCode(for: error.status), message: error.reason)
                response.closesConnection = true
                finishRequest(connection, request: nil, response: response, startedAt: fx_monotonic_ns(), error: nil)
                break loop
            }
        }
        flush(connection)
    }

    /// Takes the request by move, so the router's writes below never copy its storage.
    private func dispatch(_ request: consuming HTTPRequest, on connection: Connection) {
        let startedAt = fx_monotonic_ns()
        switch server.router.match(request.method, path: request.path) {
        case .notFound:
            finishRequest(connection, request: request,
                          response: .error(.notFound, code: "NOT_FOUND", message: "Not found."), startedAt: startedAt, error: nil)
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.error(.methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "Method not allowed.")
            response.headers.add("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            finishRequest(connection, request: request, response: response, startedAt: startedAt, error: nil)
        case .found(let route, let parameters):
            var request = consume request
            if !parameters.isEmpty { request.parameters = parameters }
            request.routePattern = route.pattern
            request.routeIndex = route.index
            if let filter = server.router.filter, let early = filter(&request) {
                finishRequest(connection, request: request, response: early, startedAt: startedAt, error: nil)
                return
            }
            switch route.handler {
            case .onEventLoop(let handler):
                let (response, error) = server.respond(to: request, with: handler)
                finishRequest(connection, request: request, response: response, startedAt: startedAt, error: error)
            case .onWorker(let handler, let fastPath):
                if let fastPath, let response = fastPath(request) {
                    finishRequest(connection, request: request, response: response, startedAt: startedAt, error: nil)
                    return
                }
                let id = connection.id
                let server = self.server
                submit(request, on: connection, startedAt: startedAt) { [self, request] in
                    var request = request
                    if let filter = server.router.workerFilter, let early = filter(&request) {
                        post(Completion(connectionID: id, request: request, response: early, error: nil, startedAt: startedAt))
                        return
                    }
                    let (response, error) = server.respond(to: request, with: handler)
                    post(Completion(connectionID: id, request: request, response: response, error: error, startedAt: startedAt))
                }
            case .deferred(let handler):
                let id = connection.id
                submit(request, on: connection, startedAt: startedAt) { [self, request] in
                    var request = request
                    if let filter = server.router.workerFilter, let early = filter(&request) {
                        post(Completion(connectionID: id, request: request, response: early, error: nil, startedAt: startedAt))
                        return
                    }
                    let writer = ResponseWriter { [request] response, error in
                        self.post(Completion(connectionID: id, request: request, response: response, error: error, startedAt: startedAt))
                    }
                    handler(request, writer)
                }
            }
        }
    }

    /// Hands a job to the worker pool, pausing reads on the connection until its response is back; a full
    /// queue is answered 503 at once.
    private func submit(_ request: HTTPRequest, on connection: Connection, startedAt: UInt64, _ job: @escaping @Sendable () -> Void) {
        connection.phase = .handling
        if !server.workers.submit(job) {
            connection.phase = .reading
            var response = HTTPResponse.error(.serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: "Server busy.")
            response.headers.add("Retry-After", "1")
            finishRequest(connection, request: request, response: response, startedAt: startedAt, error: nil)
        }
    }

    private func handleCompletions() {
        let done = completions.withLock { state -> [Completion] in
            defer { state.list.removeAll(keepingCapacity: true) }
            return state.list
        }
        for completion in done {
            guard let connection = connections[completion.connectionID] else { continue }
            connection.phase = .reading
            finishRequest(connection, request: completion.request, response: completion.response,
                          startedAt: completion.startedAt, error: completion.error)
            processRequests(connection)
        }
    }

    /// Serializes a response into the connection's output and logs it.
    private func finishRequest(
        _ connection: Connection, request: HTTPRequest?, response: HTTPResponse, startedAt: UInt64, error: (any Error)?
    ) {
        connection.requestsServed += 1
        var response = response
        if let extra = request?.responseHeaders, !extra.isEmpty {
            for (name, value) in extra where !response.headers.contains(name) { response.headers.add(name, value) }
        }
        let keepAlive = (request?.keepAlive ?? false) && !response.closesConnection && !draining
            && connection.requestsServed < limits.maxRequestsPerConnection
        ResponseSerializer.write(
            response, to: &connection.out, date: date, requestID: request?.requestID ?? "",
            isHead: request?.method == .HEAD, closing: !keepAlive, version: request?.version ?? .http11)
        if !keepAlive { connection.phase = .closing }
        connection.idleSince = now
        if let onRequest = server.onRequest {
            let elapsed = fx_monotonic_ns() &- startedAt
            onRequest(RequestLogRecord(
                method: request?.method.rawValue ?? "-", route: request?.routePattern.isEmpty == false ? request!.routePattern : "-",
                status: response.status.code, durationNanoseconds: elapsed,
                requestID: request?.requestID ?? "-", remoteAddress: connection.peer, unexpectedError: error,
                routeIndex: request?.routeIndex ?? -1))
        }
    }

    private func flush(_ connection: Connection) {
        while connection.pendingOutput > 0 {
            let n = connection.out.withUnsafeBytes { buf in
                fx_send(connection.fd, buf.baseAddress! + connection.outOffset, connection.pendingOutput)
            }
            if n > 0 {
                connection.outOffset += n
            } else if n == -Int(EAGAIN_VALUE) {
                if connection.writeBlockedSince == nil { connection.writeBlockedSince = now }
                updateInterest(connection)
                return
            } else {
                close(connection)
                return
            }
        }
        connection.writeBlockedSince = nil
        connection.out.removeAll(keepingCapacity: connection.out.capacity <= 64 * 1024)
        connection.outOffset = 0
        if case .closing = connection.phase {
            if connection.peerClosed {
                close(connection)
            } else {
                // Shut our side, then read and discard briefly: closing with unread input would send RST and
                // could destroy the response before the client reads it.
                _ = fx_shutdown_write(connection.fd)
                connection.phase = .lingering(deadline: now + Self.lingerMilliseconds)
            }
        }
        updateInterest(connection)
    }

    private func drainLingering(_ connection: Connection) {
        for _ in 0..<16 {
            let n = fx_recv(connection.fd, readBuffer.baseAddress, Self.readChunk)
            if n == -Int(EAGAIN_VALUE) { return }
            if n <= 0 { close(connection); return }
        }
    }

    private func updateInterest(_ connection: Connection) {
        guard connections[connection.id] != nil else { return }
        var wanted: UInt32 = 0
        switch connection.phase {
        case .reading:
            if !connection.peerClosed && connection.pendingOutput < Self.maxPendingOutput { wanted |= UInt32(FX_EV_IN) }
        case .lingering:
            wanted |= UInt32(FX_EV_IN)
        case .handling, .closing:
            break
        }
        if connection.pendingOutput > 0 { wanted |= UInt32(FX_EV_OUT) }
        if wanted != connection.interest {
            connection.interest = wanted
            if fx_epoll_mod(epfd, connection.fd, wanted, connection.id) != 0 { close(connection) }
        }
    }

    private func close(_ connection: Connection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        _ = fx_epoll_del(epfd, connection.fd)
        _ = fx_close(connection.fd)
        server.connectionCount.subtract(1, ordering: .relaxed)
        if let key = connection.clientKey { server.connectionsByClient.close(key) }
    }

    // MARK: - Timeouts

    /// Enforces the head, body, keep-alive, write and linger deadlines (RFC 9110 §15.5.9 for 408).
    private func sweep() {
        for connection in Array(connections.values) {
            if let since = connection.writeBlockedSince, now - since > UInt64(limits.writeTimeoutMilliseconds) {
                close(connection)
                continue
            }
            switch connection.phase {
            case .lingering(let deadline):
                if now >= deadline { close(connection) }
            case .reading:
                if connection.pendingOutput > 0 { continue }
                if connection.parser.isMidMessage {
                    let age = now - (connection.messageStartedAt ?? now)
                    let expired = connection.parser.isReadingBody
                        ? now - connection.lastProgressAt > UInt64(limits.bodyIdleTimeoutMilliseconds)
                            || age > UInt64(limits.requestTimeoutMilliseconds)
                        : age > UInt64(limits.headTimeoutMilliseconds)
                    if expired {
                        var response = HTTPResponse.error(.requestTimeout, code: "REQUEST_TIMEOUT", message: "Request timeout.")
                        response.closesConnection = true
                        finishRequest(connection, request: nil, response: response, startedAt: fx_monotonic_ns(), error: nil)
                        flush(connection)
                    }
                } else {
                    // A connection that never sent a byte gets the head timeout; an idle keep-alive one the longer one.
                    let limit = connection.requestsServed == 0 ? limits.headTimeoutMilliseconds : limits.keepAliveTimeoutMilliseconds
                    if draining || now - connection.idleSince > UInt64(limit) { close(connection) }
                }
            case .handling, .closing:
                break
            }
        }
    }

    /// `value` in lowercase hexadecimal without leading zeros, as `String(value, radix: 16)` writes it but
    /// without its generic formatting (a sixth of the instructions; request ids are made for every request).
    static func hex(_ value: UInt64) -> String {
        let digits = max(1, (64 - value.leadingZeroBitCount + 3) / 4)
        return String(unsafeUninitializedCapacity: digits) { buffer in
            var v = value
            for i in stride(from: digits - 1, through: 0, by: -1) {
                let d = UInt8(truncatingIfNeeded: v & 0xF)
                buffer[i] = d < 10 ? 0x30 &+ d : 0x57 &+ d
                v >>= 4
            }
            return digits
        }
    }

    static func errorCode(for status: HTTPStatus) -> String {
        switch status.code {
        case 408: "REQUEST_TIMEOUT"
        case 413: "PAYLOAD_TOO_LARGE"
        case 414: "URI_TOO_LONG"
        case 417: "EXPECTATION_FAILED"
        case 431: "REQUEST_HEADER_FIELDS_TOO_LARGE"
        case 501: "NOT_IMPLEMENTED"
        case 505: "HTTP_VERSION_NOT_SUPPORTED"
        default: "BAD_REQUEST"
        }
    }
}

#if canImport(Glibc)
import Glibc
let EAGAIN_VALUE = EAGAIN
#endif
