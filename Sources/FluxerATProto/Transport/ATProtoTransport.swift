/// One outbound HTTP request. The module builds these; the app's transport (libcurl in production, an in-process
/// dispatcher to `ATProtoMockServer` in tests) performs them.
public struct ATProtoHTTPRequest: Sendable {
    /// `GET` or `POST`.
    public var method: String
    /// An absolute `https` URL, or `http` on a loopback or development origin.
    public var url: String
    /// Request header fields, in order.
    public var headers: [(String, String)]
    /// The request body (empty for `GET`).
    public var body: [UInt8]

    /// A request with the given parts.
    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first header field named `name` (ASCII case-insensitive, RFC 9110 §5.1).
    public func header(_ name: String) -> String? { ATProtoHeaders.first(name, in: headers) }
}

/// One HTTP response as the transport received it. Redirects are never followed: a 3xx reaches the module as is.
public struct ATProtoHTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Response header fields, in order.
    public var headers: [(String, String)]
    /// The body, at most the transport's cap.
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header field named `name` (ASCII case-insensitive, RFC 9110 §5.1).
    public func header(_ name: String) -> String? { ATProtoHeaders.first(name, in: headers) }
}

/// Why a transport could not produce a response.
public enum ATProtoTransportError: Error, Sendable, Equatable {
    /// The exchange (connect, TLS, request, response) did not finish in time.
    case timedOut
    /// The response exceeded the transport's size cap.
    case tooLarge
    /// The host resolved to an address the policy refuses (private, link-local, loopback outside the config).
    case addressNotAllowed
    /// Anything else: DNS failure, refused connection, TLS verification. The text is for logs, never for clients.
    case unreachable(String)
}

/// Outbound HTTP for the AT Protocol client. Blocking: call it from a worker thread, never from Swift concurrency's
/// cooperative pool (DESIGN.md "Architecture").
public protocol ATProtoTransport: Sendable {
    /// Performs `request` without following redirects.
    func send(_ request: ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse
}

/// DNS TXT lookups for handle resolution (atproto Handle spec, "DNS TXT Method": `_atproto.<handle>`).
public protocol ATProtoTXTResolver: Sendable {
    /// The TXT strings published at `name`; empty (or a thrown error) when there are none.
    func txtRecords(_ name: String) throws -> [String]
}

/// Header lookup shared by requests and responses.
enum ATProtoHeaders {
    static func first(_ name: String, in headers: [(String, String)]) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
