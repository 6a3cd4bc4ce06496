/// The state of one client connection. Owned by one event loop and touched only on its thread.
final class Connection {
    enum Phase {
        /// Reading and parsing requests (possibly idle between them).
        case reading
        /// A request is with a worker; reading is paused so responses stay in order (RFC 9112 §9.3.2).
        case handling
        /// The last response is being written; then the write side is shut.
        case closing
        /// Write side shut; draining input briefly so the kernel does not reset the response away.
        case lingering(deadline: UInt64)
    }

    let id: UInt64
    let fd: Int32
    let peer: String
    var parser: RequestParser
    var phase = Phase.reading
    var out: [UInt8] = []
    var outOffset = 0
    /// Events currently registered with epoll.
    var interest: UInt32 = 0
    /// When the current message's first byte arrived (head timeout), or nil between messages.
    var messageStartedAt: UInt64?
    /// Last time body bytes arrived (body idle timeout).
    var lastProgressAt: UInt64
    /// When the connection last became idle between requests.
    var idleSince: UInt64
    /// Since when output has been waiting for the socket to drain.
    var writeBlockedSince: UInt64?
    var requestsServed = 0
    var peerClosed = false
    /// The key this connection is counted under in the per-client cap, nil when it is not counted.
    var clientKey: String?

    init(id: UInt64, fd: Int32, peer: String, limits: HTTPLimits, now: UInt64) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.parser = RequestParser(limits: limits)
        self.lastProgressAt = now
        self.idleSince = now
    }

    var pendingOutput: Int { out.count - outOffset }

    var isLingering: Bool {
        if case .lingering = phase { return true }
        return false
    }
}
