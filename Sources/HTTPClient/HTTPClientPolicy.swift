/// What an `HTTPClient` may do: timeouts, size caps, which addresses it may connect to, and trust.
///
/// Address rule (the SSRF guard). With `.publicOnly` every address libcurl is about to connect to is checked in its
/// open-socket callback, after name resolution and before the socket exists, so a name that resolves (or
/// re-resolves, DNS rebinding) to a loopback, private, link-local or otherwise special address is refused however
/// it was spelled. A host in `allowedHosts` skips the check: it is trusted on whatever address it resolves to.
///
/// Plain `http`. An `http://` URL is allowed when `allowsPlainHTTP` is true, or when the address connected to
/// is loopback (127.0.0.0/8, ::1), which the address rule must admit as well (`.any`, or the host is in
/// `allowedHosts`): traffic that never leaves the machine cannot be read on the network. So with the defaults a
/// development mock at `http://localhost:9000` works once `localhost` is in `allowedHosts`, while
/// `http://10.0.0.5` needs both `allowedHosts` and `allowsPlainHTTP`. Like the address rule, this is decided on
/// the address actually connected to.
///
/// Proxies are never used, whatever `http_proxy`/`HTTPS_PROXY`/`ALL_PROXY` say: the address check must see the
/// real peer, not a proxy.
public struct HTTPClientPolicy: Sendable {
    /// Which peer addresses a connection may go to.
    public enum AddressRule: Sendable, Equatable {
        /// Only public unicast addresses (see the type's documentation), unless the host is in `allowedHosts`.
        case publicOnly
        /// Any address (tests, or an operator who runs everything on a private network).
        case any
    }

    /// Time to establish the TCP connection and the TLS handshake (CURLOPT_CONNECTTIMEOUT_MS).
    public var connectTimeout: Duration
    /// Time for the whole exchange, name resolution to the last body byte (CURLOPT_TIMEOUT_MS).
    public var totalTimeout: Duration
    /// The largest body accepted; one byte more fails with `.responseTooLarge`.
    public var maxResponseBytes: Int
    /// The largest response head accepted, counting every header line of every response in the exchange
    /// (interim 1xx ones and chunked trailers too) with its CRLF; one byte more fails with `.headersTooLarge`.
    public var maxResponseHeaderBytes: Int
    /// The most header fields the final response may have; one more fails with `.headersTooLarge`.
    public var maxResponseHeaderCount: Int
    /// Whether `http://` may go to a non-loopback address.
    public var allowsPlainHTTP: Bool
    /// Which addresses may be connected to.
    public var addressRule: AddressRule
    /// Hosts trusted on any address, even loopback or private: exact names or IP literals as `host(of:)` returns
    /// them (lowercase; IPv6 with or without brackets).
    public var allowedHosts: Set<String>
    /// A PEM file of CA certificates to trust instead of the system's (CURLOPT_CAINFO; CURLOPT_CAPATH is then
    /// cleared so the file is the only trust).
    public var caFile: String?

    /// The defaults: 5 s to connect, 10 s in all, 1 MiB bodies, 64 KiB and 100 fields of head, HTTPS to public
    /// addresses only, the system's CAs.
    public init(
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(10),
        maxResponseBytes: Int = 1 << 20,
        maxResponseHeaderBytes: Int = 64 << 10,
        maxResponseHeaderCount: Int = 100,
        allowsPlainHTTP: Bool = false,
        addressRule: AddressRule = .publicOnly,
        allowedHosts: Set<String> = [],
        caFile: String? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
        self.maxResponseHeaderBytes = maxResponseHeaderBytes
        self.maxResponseHeaderCount = maxResponseHeaderCount
        self.allowsPlainHTTP = allowsPlainHTTP
        self.addressRule = addressRule
        self.allowedHosts = allowedHosts
        self.caFile = caFile
    }

    /// Whether `host` (as `host(of:)` returns it) is in `allowedHosts`.
    func allows(host: String) -> Bool {
        allowedHosts.contains { entry in
            var entry = entry.lowercased()
            if entry.hasPrefix("["), entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            return entry == host
        }
    }
}

extension Duration {
    /// Whole milliseconds for libcurl, rounded up and at least 1: libcurl reads 0 as "no timeout", so a zero or
    /// negative duration must not become one.
    var clampedMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 1 }
        guard seconds < Int64.max / 1000 - 1 else { return Int.max }
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, Int(millis))
    }
}
