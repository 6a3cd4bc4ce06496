/// HTTP version of a request; only 1.0 and 1.1 are served (RFC 9112 §2.3).
public enum HTTPVersion: Sendable, Equatable {
    case http10, http11
}

/// One parsed request. The body is fully read before a handler sees it.
///
/// A value type whose fields live in one copy-on-write box: the event loop hands a request through the parser,
/// router, filter, fast path, worker closure and logger, and each hand-off is then one reference count instead of
/// one per field.
public struct HTTPRequest: Sendable {
    /// The fields. Mutated only through `unique()`, i.e. never while another copy shares it.
    @usableFromInline final class Storage: @unchecked Sendable {
        var method: HTTPMethod
        var path: String
        var query: String?
        var version: HTTPVersion
        var headers: HTTPHeaders
        var body: [UInt8]
        var host: String?
        var keepAlive: Bool
        var remoteAddress = ""
        var requestID = ""
        var parameters: [String: String] = [:]
        var routePattern = ""
        var routeIndex = -1
        var responseHeaders = HTTPHeaders()
        @usableFromInline var attached = RequestStorage()

        init(method: HTTPMethod, path: String, query: String?, version: HTTPVersion, headers: HTTPHeaders, body: [UInt8],
             host: String?, keepAlive: Bool) {
            self.method = method
            self.path = path
            self.query = query
            self.version = version
            self.headers = headers
            self.body = body
            self.host = host
            self.keepAlive = keepAlive
        }

        @usableFromInline func copy() -> Storage {
            let c = Storage(method: method, path: path, query: query, version: version, headers: headers, body: body,
                            host: host, keepAlive: keepAlive)
            c.remoteAddress = remoteAddress
            c.requestID = requestID
            c.parameters = parameters
            c.routePattern = routePattern
            c.routeIndex = routeIndex
            c.responseHeaders = responseHeaders
            c.attached = attached
            return c
        }
    }

    @usableFromInline var storage: Storage

    @usableFromInline mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// The method.
    public var method: HTTPMethod {
        get { storage.method }
        set { unique().method = newValue }
    }
    /// The path part of the target, still percent-encoded, always starting with "/" (or "*").
    public var path: String {
        get { storage.path }
        set { unique().path = newValue }
    }
    /// The query part after "?", without it; nil when absent. Never logged.
    public var query: String? {
        get { storage.query }
        set { unique().query = newValue }
    }
    /// The protocol version.
    public var version: HTTPVersion {
        get { storage.version }
        set { unique().version = newValue }
    }
    /// The header fields as received.
    public var headers: HTTPHeaders {
        get { storage.headers }
        set { unique().headers = newValue }
        _modify { yield &unique().headers }
    }
    /// The decoded body bytes.
    public var body: [UInt8] {
        get { storage.body }
        set { unique().body = newValue }
    }
    /// The host from the Host field or an absolute-form target.
    public var host: String? {
        get { storage.host }
        set { unique().host = newValue }
    }
    /// Whether the client asked to keep the connection open (RFC 9112 §9.3).
    public var keepAlive: Bool {
        get { storage.keepAlive }
        set { unique().keepAlive = newValue }
    }

    /// The peer address, set by the server.
    public var remoteAddress: String {
        get { storage.remoteAddress }
        set { unique().remoteAddress = newValue }
    }
    /// A short identifier for log correlation, set by the server.
    public var requestID: String {
        get { storage.requestID }
        set { unique().requestID = newValue }
    }
    /// Route parameters captured by the router (`:id` → value, percent-decoded).
    public var parameters: [String: String] {
        get { storage.parameters }
        set { unique().parameters = newValue }
    }
    /// The matched route pattern, for logs (never the raw path, which may carry identifiers).
    public var routePattern: String {
        get { storage.routePattern }
        set { unique().routePattern = newValue }
    }
    /// The matched route's `Router.Route.index`, -1 when none: a dense number that lets per-route state (metric
    /// handles) live in an array rather than a table keyed by the pattern.
    public var routeIndex: Int {
        get { storage.routeIndex }
        set { unique().routeIndex = newValue }
    }
    /// Headers the server adds to whatever response this request gets (set by the router's filter, e.g.
    /// rate-limit headers); a handler's own header of the same name wins.
    public var responseHeaders: HTTPHeaders {
        get { storage.responseHeaders }
        set { unique().responseHeaders = newValue }
        _modify { yield &unique().responseHeaders }
    }
    /// A value one stage attached for later ones (e.g. the caller the router's filter identified), so the work
    /// is not done twice on the hot path. Typed by its key; the server never reads it.
    /// Inlinable, so that the key's value type is known where it is used: a generic box whose metadata had
    /// to be looked up at run time would cost more than the rest of the request's attachment.
    @inlinable
    public subscript<Key: RequestStorageKey>(_ key: Key.Type) -> Key.Value? {
        get { storage.attached[key] }
        set { unique().attached[key] = newValue }
    }

    /// A request built in code (tests, internal dispatch).
    public init(
        method: HTTPMethod, path: String, query: String? = nil, version: HTTPVersion = .http11,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], host: String? = nil, keepAlive: Bool = true
    ) {
        storage = Storage(method: method, path: path, query: query, version: version, headers: headers, body: body,
                          host: host, keepAlive: keepAlive)
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
