#if canImport(Glibc)
import Glibc
#endif
import HTTPServer

/// A response as read off the wire.
struct WireResponse: CustomStringConvertible {
    var statusLine: String
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { HTTPHeaders.equalsIgnoringASCIICase($0.name, name) }?.value
    }
    func count(_ name: String) -> Int {
        headers.filter { HTTPHeaders.equalsIgnoringASCIICase($0.name, name) }.count
    }
    var text: String { String(decoding: body, as: UTF8.self) }
    var description: String { "\(statusLine) \(headers.map { "\($0.name): \($0.value)" }) \(text.debugDescription)" }
}

enum ClientError: Error, CustomStringConvertible {
    case socket(String, Int32)
    case timeout
    case closed(partial: [UInt8])
    case malformed(String)

    var description: String {
        switch self {
        case .socket(let call, let e): "\(call) failed: errno \(e)"
        case .timeout: "timed out"
        case .closed(let partial): "connection closed after \(partial.count) bytes: \(String(decoding: partial, as: UTF8.self).debugDescription)"
        case .malformed(let s): "malformed response: \(s)"
        }
    }
}

/// How a connection ended when we waited for it.
enum EndOfStream: Equatable {
    case eof, reset, timeout, data
}

/// A blocking TCP client over raw Glibc sockets with a receive timeout: it sends exact bytes and parses
/// responses strictly, so tests see what a real client sees.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to host:port (IPv4 or IPv6 literal), from the IPv4 address `source` when given (any of
    /// 127.0.0.0/8 works on Linux loopback, so a test can be several clients).
    init(host: String = "127.0.0.1", port: Int, timeoutMilliseconds: Int = 5_000, source: String? = nil) throws {
        let isV6 = host.contains(":")
        let fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.socket("socket", errno) }
        self.fd = fd
        var tv = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound != 0 {
                let e = errno
                Glibc.close(fd)
                throw ClientError.socket("bind", e)
            }
        }
        let rc: Int32
        if isV6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        if rc != 0 {
            let e = errno
            Glibc.close(fd)
            throw ClientError.socket("connect", e)
        }
    }

    private var isClosed = false

    deinit { close() }

    /// Closes the socket (once).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Sends every byte (MSG_NOSIGNAL: a closed peer is an error, not a signal).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.socket("send", errno)
            }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends one byte per write with a pause between writes.
    func sendSlowly(_ bytes: [UInt8], pauseMicroseconds: UInt32) throws {
        for b in bytes {
            try send([b])
            usleep(pauseMicroseconds)
        }
    }

    /// Half-closes: no more requests from us.
    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Receives once into the buffer; returns bytes read, 0 on EOF.
    private func fill() throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { buffer.append(contentsOf: chunk[0..<n]); return n }
            if n == 0 { return 0 }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timeout }
            throw ClientError.socket("recv", errno)
        }
    }

    /// Reads one response; `head` says the request was HEAD (no body whatever the Content-Length).
    func readResponse(head: Bool = false) throws -> WireResponse {
        var headEnd: Int?
        while true {
            if let i = Self.find(buffer, [13, 10, 13, 10]) { headEnd = i; break }
            if try fill() == 0 { throw ClientError.closed(partial: buffer) }
        }
        let headText = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else { throw ClientError.malformed(statusLine) }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError.malformed(line) }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters()))
        }
        buffer.removeFirst(headEnd! + 4)
        var response = WireResponse(statusLine: statusLine, status: status, headers: headers, body: [])
        let noBody = head || status < 200 || status == 204 || status == 304
        if !noBody, let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText) else { throw ClientError.malformed("Content-Length \(lengthText)") }
            while buffer.count < length {
                if try fill() == 0 { throw ClientError.closed(partial: buffer) }
            }
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        }
        return response
    }

    /// Waits for the peer to end the stream; `.data` if bytes arrive instead.
    func waitForEnd() -> EndOfStream {
        if !buffer.isEmpty { return .data }
        do {
            return try fill() == 0 ? .eof : .data
        } catch ClientError.timeout {
            return .timeout
        } catch {
            return .reset
        }
    }

    /// Whether the server closed the connection (FIN or RST) before `timeout`.
    func isClosedByPeer() -> Bool {
        let end = waitForEnd()
        return end == .eof || end == .reset
    }

    /// Bytes received but not yet parsed as a response.
    var unread: [UInt8] { buffer }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// Whether a TCP connection to host:port is refused.
func connectionRefused(host: String = "127.0.0.1", port: Int) -> Bool {
    do {
        _ = try RawClient(host: host, port: port, timeoutMilliseconds: 500)
        return false
    } catch ClientError.socket("connect", let e) {
        return e == ECONNREFUSED
    } catch {
        return false
    }
}

/// Runs `body` on `count` OS threads at once (not the cooperative pool, which blocking sockets would starve)
/// and returns the results in index order.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = ResultBox<T>(count: count)
    let threads = (0..<count).map { i in OSThread(name: "test-\(i)") { results.set(i, body(i)) } }
    threads.forEach { $0.join() }
    return results.values
}

/// Results written by threads; guarded by a lock.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    // Invariant: `storage` is only touched under `lock`.
    private let lock = ConditionLock()
    private var storage: [T?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.withLock { storage[i] = value } }
    var values: [T] { lock.withLock { storage.map { $0! } } }
}

/// Monotonic milliseconds, for elapsed-time assertions.
func monotonicMilliseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}
