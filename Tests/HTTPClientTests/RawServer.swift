#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization

/// A misbehaving peer: a loopback listener whose connections run a script of raw bytes, sleeps and closes.
final class RawServer: Sendable {
    let port: Int
    private let fd: Int32
    private let stopping = Atomic<Bool>(false)
    private let accepted = Atomic<Int>(0)
    private let threads = Mutex<[OSThread]>([])

    /// Listens on 127.0.0.1 (or `host`) and runs `script` on each accepted connection on its own thread.
    /// With `accepting: false` nothing is ever accepted (see `fillBacklog`).
    init(host: String = "127.0.0.1", backlog: Int32 = 16, accepting: Bool = true,
         script: @escaping @Sendable (RawConnection) -> Void = { _ in }) throws {
        let (fd, port) = try Self.listen(host: host, backlog: backlog)
        self.fd = fd
        self.port = port
        guard accepting else { return }
        let acceptor = OSThread(name: "raw-accept") { [self] in acceptLoop(script) }
        threads.withLock { $0.append(acceptor) }
    }

    /// How many connections were accepted so far.
    var acceptedCount: Int { accepted.load(ordering: .relaxed) }

    /// Stops accepting, waits for every script to finish and closes the listener.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        // Join until no thread is left (a script may have been registered while we joined others).
        while let thread = threads.withLock({ $0.popLast() }) { thread.join() }
        close(fd)
    }

    private func acceptLoop(_ script: @escaping @Sendable (RawConnection) -> Void) {
        while !stopping.load(ordering: .relaxed) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 20) > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            accepted.add(1, ordering: .relaxed)
            let worker = OSThread(name: "raw-conn") {
                let connection = RawConnection(fd: client)
                script(connection)
                connection.close()
            }
            threads.withLock { $0.append(worker) }
        }
    }

    private static func listen(host: String, backlog: Int32) throws -> (Int32, Int) {
        let isV6 = host.contains(":")
        let fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawServerError.socket(errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = sockaddr_storage()
        var length: socklen_t
        if isV6 {
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                address.pointee.sin6_family = sa_family_t(AF_INET6)
                inet_pton(AF_INET6, host, &address.pointee.sin6_addr)
            }
        } else {
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                address.pointee.sin_family = sa_family_t(AF_INET)
                inet_pton(AF_INET, host, &address.pointee.sin_addr)
            }
        }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            throw RawServerError.socket(error)
        }
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = withUnsafeBytes(of: storage) { raw in
            isV6 ? raw.load(as: sockaddr_in6.self).sin6_port : raw.load(as: sockaddr_in.self).sin_port
        }
        return (fd, Int(UInt16(bigEndian: port)))
    }

    /// Connects to the listener without anyone accepting, until its accept queue is full: Linux then drops
    /// further SYNs (tcp_conn_request), so the next connect hangs like one to a black hole. Returns the sockets.
    func fillBacklog(count: Int = 4) -> [Int32] {
        (0..<count).map { _ in
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            usleep(20_000)
            return client
        }
    }
}

enum RawServerError: Error {
    case socket(Int32)
}

/// One accepted connection, for a script.
final class RawConnection {
    let fd: Int32
    private var isClosed = false

    init(fd: Int32) {
        self.fd = fd
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads until the end of a request head (CRLFCRLF), EOF or the 5 s receive timeout; returns what was read.
    @discardableResult
    func readHead() -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !received.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            received += chunk[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Writes every byte; false if the peer went away.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Waits until the client closes the connection (or `milliseconds` pass): a peer that says nothing while the
    /// client's timeout runs, and then lets the test end at once.
    func waitForClose(milliseconds: Int) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var sink = [UInt8](repeating: 0, count: 4096)
        let deadline = nowMilliseconds() + milliseconds
        while nowMilliseconds() < deadline {
            guard poll(&poller, 1, Int32(max(1, deadline - nowMilliseconds()))) > 0 else { continue }
            if sink.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) <= 0 { return }
        }
    }

    /// Sleeps, then returns (the peer's timeout should fire meanwhile).
    func pause(milliseconds: Int) { usleep(UInt32(milliseconds) * 1000) }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }
}

/// Runs `body` with a raw server whose connections read the request head and then run `script`.
func withRawServer(_ script: @escaping @Sendable (RawConnection) -> Void, _ body: (RawServer) throws -> Void) throws {
    let server = try RawServer { connection in
        connection.readHead()
        script(connection)
    }
    defer { server.stop() }
    try body(server)
}
