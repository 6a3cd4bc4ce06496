#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking TCP client socket whose every wait is a `poll` bounded by one absolute deadline
/// (monotonic milliseconds), so a request as a whole, name resolution included, can never outlast its timeout.
package final class ClientSocket {
    package let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Resolves `host` (bounded by the deadline, see `HostResolver`) and connects to the first address that
    /// accepts before `deadline`.
    package static func connect(host: String, port: UInt16, deadline: Int64) throws(HTTPClientError) -> ClientSocket {
        let addresses = try HostResolver.resolve(host, port: port, deadline: deadline)
        var lastError: HTTPClientError = .connect(errno: ECONNREFUSED)
        for address in addresses {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { lastError = .connect(errno: errno); continue }
            let candidate = ClientSocket(fd: fd)
            let rc = address.storage.withUnsafeBytes { raw in
                Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            if rc == 0 { return candidate }
            guard errno == EINPROGRESS else { lastError = .connect(errno: errno); continue }
            do {
                try candidate.wait(for: Int16(POLLOUT), deadline: deadline)
            } catch {
                lastError = error
                if error == .timeout { throw error }
                continue
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError == 0 { return candidate }
            lastError = .connect(errno: soError)
        }
        throw lastError
    }

    /// Waits until `events` are ready or the deadline passes.
    package func wait(for events: Int16, deadline: Int64) throws(HTTPClientError) {
        while true {
            let left = deadline - Self.now()
            guard left > 0 else { throw .timeout }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&pfd, 1, Int32(min(left, Int64(Int32.max))))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(errno: errno)
            }
            if n > 0 { return }
        }
    }

    /// Sends every byte before the deadline.
    package func sendAll(_ bytes: [UInt8], deadline: Int64) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            guard n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else { throw .io(errno: n < 0 ? errno : EPIPE) }
            try wait(for: Int16(POLLOUT), deadline: deadline)
        }
    }

    /// Reads up to `count` bytes; 0 means the peer closed.
    package func receive(into buffer: inout [UInt8], count: Int, deadline: Int64) throws(HTTPClientError) -> Int {
        var chunk = [UInt8](repeating: 0, count: count)
        while true {
            let n = recv(fd, &chunk, count, 0)
            if n >= 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return n
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { throw .io(errno: errno) }
            try wait(for: Int16(POLLIN), deadline: deadline)
        }
    }

    /// Monotonic milliseconds, the clock of every deadline.
    package static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
