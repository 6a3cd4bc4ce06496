/// HTTP version of a request; only 1.0 and 1.1 are served (RFC 9112 §2.3).
public enum HTTPVersion: Sendable, Equatable {
    case http10, http11
}

/// One parsed request. The body is fully read before a handler sees it.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The path part of the target, still percent-encoded, always starting with "/" (or "*").
    public var path: String
    /// The query part after "?", without it; nil when absent. Never logged.
    public var query: String?
    /// The protocol version.
    public var version: HTTPVersion
    /// The header fields as received.
    public var headers: HTTPHeaders
    /// The decoded body bytes.
    public var body: [UInt8]
    /// The host from the Host field or an absolute-form target.
    public var host: String?
    /// Whether the client asked to keep the connection open (RFC 9112 §9.3).
    public var keepAlive: Bool

    /// The peer address, set by the server.
    public var remoteAddress: String = ""
    /// A short identifier for log correlation, set by the server.
    public var requestID: String = ""
    /// Route parameters captured by the router (`:id` → value, percent-decoded).
    public var parameters: [String: String] = [:]
    /// The matched route pattern, for logs (never the raw path, which may carry identifiers).
    public var routePattern: String = ""
    /// Headers the server adds to whatever response this request gets (set by the router's filter, e.g.
    /// rate-limit headers); a handler's own header of the same name wins.
    public var responseHeaders = HTTPHeaders()
    /// Anything the router's filter resolved and wants to hand to the route (e.g. the caller it identified), so
    /// the work is not done twice on the hot path.
    public var attachment: (any Sendable)?

    /// A request built in code (tests, internal dispatch).
    public init(
        method: HTTPMethod, path: String, query: String? = nil, version: HTTPVersion = .http11,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], host: String? = nil, keepAlive: Bool = true
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.host = host
        self.keepAlive = keepAlive
    }

    /// Query parameters decoded from `application/x-www-form-urlencoded` (WHATWG URL §5.1), in order.
    public var queryItems: [(name: String, value: String)] {
        guard let query else { return [] }
        return FormURLEncoding.decode(query)
    }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}
