/// Every limit the server enforces, each a named value with its RFC reason; all are configurable.
public struct HTTPLimits: Sendable, Equatable {
    /// RFC 9112 §3: a server must accept request-lines of at least 8000 octets; beyond this → 414.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Methods longer than any we implement are refused early with 501 (RFC 9112 §3).
    public var maxMethodBytes: Int = 16
    /// Header section (all field lines, excluding the request-line) beyond this → 431 (RFC 6585 §5).
    public var maxHeaderBytes: Int = 16 * 1024
    /// Number of header fields beyond this → 431.
    public var maxHeaderCount: Int = 100
    /// Request body beyond this → 413 (RFC 9110 §15.5.14), decided from Content-Length before reading.
    public var maxBodyBytes: Int = 1024 * 1024
    /// Hex digits in a chunk-size (RFC 9112 §7.1 asks for a limit; the body cap applies anyway).
    public var maxChunkSizeDigits: Int = 8
    /// Bytes of chunk extensions on one chunk line (RFC 9112 §7.1.1).
    public var maxChunkExtensionBytes: Int = 1024
    /// Empty lines tolerated before a request-line (RFC 9112 §2.2 "SHOULD ignore at least one").
    public var maxLeadingEmptyLines: Int = 4
    /// The head must be complete within this time from its first byte → 408 (RFC 9110 §15.5.9).
    public var headTimeoutMilliseconds: Int = 10_000
    /// A body that makes no progress for this long → 408.
    public var bodyIdleTimeoutMilliseconds: Int = 10_000
    /// A whole request (head and body) must arrive within this, however steadily it trickles (R.U.D.Y., H29).
    public var requestTimeoutMilliseconds: Int = 60_000
    /// An idle keep-alive connection is closed silently after this.
    public var keepAliveTimeoutMilliseconds: Int = 60_000
    /// A client that does not read its response for this long is disconnected (slow-read defence).
    public var writeTimeoutMilliseconds: Int = 30_000
    /// Concurrent connections; beyond this new ones get 503 and are closed.
    public var maxConnections: Int = 10_000
    /// Concurrent connections from one client (`ClientKey.of`: an IPv4 address, an IPv6 /64); beyond this
    /// its new ones get 503 and are closed (checklist H31). 0 = no per-client cap. Addresses in
    /// `HTTPServerConfiguration.uncappedClientAddresses` (proxies carrying many clients) are exempt.
    public var maxConnectionsPerClient: Int = 256
    /// Requests served on one connection before it is closed with `Connection: close`.
    public var maxRequestsPerConnection: Int = 10_000
    /// Handler jobs waiting for a worker; beyond this requests get 503.
    public var maxQueuedJobs: Int = 4096

    /// The defaults described above.
    public init() {}
}
