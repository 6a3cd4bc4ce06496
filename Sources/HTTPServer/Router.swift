/// A route handler: runs on a worker thread (or on the event loop for routes marked so) and may block.
public typealias HTTPHandler = @Sendable (HTTPRequest) throws -> HTTPResponse

/// A cheap attempt on the event loop itself (e.g. a token check answered from a cache); nil sends the request
/// on to the route's worker handler.
public typealias FastPathHandler = @Sendable (HTTPRequest) -> HTTPResponse?

/// A handler that answers later, possibly from another thread (e.g. after an argon2id job on the hash pool),
/// so no worker thread waits. It must call `respond` exactly once; later calls are ignored.
public typealias DeferredHTTPHandler = @Sendable (HTTPRequest, ResponseWriter) -> Void

/// Runs on the event loop before every matched route (cheap, non-blocking work only, such as an in-memory
/// rate limiter): it may add `responseHeaders` to the request, or answer at once instead of the route.
public typealias RequestFilter = @Sendable (inout HTTPRequest) -> HTTPResponse?

/// Runs on the worker before the handler of every worker and deferred route (after `Router.filter` and a fast
/// path that declined): it may block, so it can finish what the event loop could not without I/O (e.g. one
/// database lookup); like `RequestFilter`, it may change the request or answer instead of the route.
public typealias WorkerFilter = @Sendable (inout HTTPRequest) -> HTTPResponse?

/// How a route runs.
public enum RouteHandler: Sendable {
    /// Runs on the event loop: only for handlers that never block.
    case onEventLoop(HTTPHandler)
    /// Runs on a worker, after an optional fast path on the event loop.
    case onWorker(HTTPHandler, fastPath: FastPathHandler?)
    /// Starts on a worker and answers whenever it is ready.
    case deferred(DeferredHTTPHandler)
}

/// An error that knows the response it renders as (Fluxer or RFC shape); anything else becomes a bare 500.
public protocol HTTPResponseError: Error {
    /// The response sent to the client.
    var response: HTTPResponse { get }
}

/// Method + path routing with `:name` parameters. Every route also answers under each version prefix
/// (`/api/v1`, `/v1`), so `/api/v1/auth/login`, `/v1/auth/login` and `/auth/login` are one route.
public struct Router: Sendable {
    /// One registered route.
    public struct Route: Sendable {
        /// The method.
        public let method: HTTPMethod
        /// The pattern as written, e.g. `/oauth2/applications/:id/bot/reset-token`.
        public let pattern: String
        /// How it runs.
        public let handler: RouteHandler
        /// The registration order, from 0: dense, so per-route state can be an array indexed by it.
        public let index: Int
        let segments: [Segment]
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// What a lookup found.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    /// How many routes are registered (every `Route.index` is below it).
    public private(set) var routeCount = 0
    /// Prefixes stripped before matching.
    public let prefixes: [String]
    /// The filter every matched request passes first.
    public var filter: RequestFilter?
    /// The filter every matched worker or deferred request passes on its worker, before the handler.
    public var workerFilter: WorkerFilter?
    private var routesBySegmentCount: [Int: [Route]] = [:]
    /// Routes without parameters by exact path, for a lookup with no splitting or segment compare. A route is
    /// entered only when no earlier route of the same method matches its path, so this table always gives
    /// what the ordered scan would.
    private var staticRoutes: [Substring: [(method: HTTPMethod, route: Route)]] = [:]

    /// An empty router answering under the given prefixes as well as unprefixed.
    public init(prefixes: [String] = ["/api/v1", "/v1"]) {
        self.prefixes = prefixes
    }

    /// Registers a route. Patterns must start with "/"; segments starting with ":" capture. `runsOnEventLoop`
    /// is only for handlers that never block.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, runsOnEventLoop: Bool = false, _ handler: @escaping HTTPHandler
    ) {
        add(method, pattern, runsOnEventLoop ? .onEventLoop(handler) : .onWorker(handler, fastPath: nil))
    }

    /// Registers a worker route with a fast path tried first on the event loop.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, fastPath: @escaping FastPathHandler, _ handler: @escaping HTTPHandler
    ) {
        add(method, pattern, .onWorker(handler, fastPath: fastPath))
    }

    /// Registers a deferred route.
    public mutating func addDeferred(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping DeferredHTTPHandler) {
        add(method, pattern, .deferred(handler))
    }

    /// Registers a route with an explicit handler kind.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: RouteHandler) {
        precondition(pattern.hasPrefix("/"), "route pattern must start with /")
        let segments: [Segment] = pattern.split(separator: "/").map {
            $0.hasPrefix(":") ? .parameter(String($0.dropFirst())) : .literal(String($0))
        }
        let route = Route(method: method, pattern: pattern, handler: handler, index: routeCount, segments: segments)
        precondition(
            !(routesBySegmentCount[segments.count] ?? []).contains { $0.method == method && $0.segments == segments },
            "duplicate route \(method) \(pattern)")
        routesBySegmentCount[segments.count, default: []].append(route)
        routeCount += 1
        // A pattern without parameters is the most specific there is for its path (see `match`): the exact-path
        // table may answer it directly.
        let canonical = pattern == "/" || (!pattern.hasSuffix("/") && !pattern.contains("//"))
        if canonical && !segments.contains(where: { if case .parameter = $0 { true } else { false } }) {
            staticRoutes[pattern[...], default: []].append((method, route))
        }
    }

    /// Every registered route, for listings and tests.
    public var routes: [Route] { routesBySegmentCount.values.flatMap { $0 } }

    /// Every registered route in registration order: `routesByIndex[r.index] == r`.
    public var routesByIndex: [Route] { routes.sorted { $0.index < $1.index } }

    /// Finds the route for a method and raw (percent-encoded) path. HEAD falls back to GET (RFC 9110 §9.3.2).
    public func match(_ method: HTTPMethod, path: String) -> Match {
        let stripped = strip(path)
        if let routes = staticRoutes[stripped], let hit = routes.first(where: { $0.method == method }) {
            return .found(hit.route, parameters: [:])
        }
        var segments = stripped.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        // "/" is the root pattern's zero segments, not one empty segment.
        if stripped == "/" { segments = segments.dropFirst() }
        // A trailing slash or an empty segment never matches a pattern.
        guard let candidates = routesBySegmentCount[segments.count] else { return .notFound }
        // Several patterns may match one path (`/auth/handoff/complete` and `/auth/handoff/:code`). The most
        // specific pattern owns the path, as in Go's ServeMux: at the first segment where two differ, a literal
        // beats a parameter. Its methods are the path's methods; any other method is 405 with exactly those in
        // `Allow`, never a fall-through to a looser pattern that would read `complete` as a code.
        var owner: [Segment]?
        var group: [(route: Route, parameters: [String: String])] = []
        for route in candidates {
            guard let params = bind(route.segments, to: segments) else { continue }
            if let current = owner, current != route.segments {
                guard Self.isMoreSpecific(route.segments, than: current) else { continue }
                group.removeAll()
            }
            owner = route.segments
            group.append((route, params))
        }
        if let hit = group.first(where: { $0.route.method == method }) { return .found(hit.route, parameters: hit.parameters) }
        if method == .HEAD, let get = group.first(where: { $0.route.method == .GET }) { return .found(get.route, parameters: get.parameters) }
        if group.isEmpty { return .notFound }
        var allowed: [HTTPMethod] = []
        for entry in group where !allowed.contains(entry.route.method) { allowed.append(entry.route.method) }
        if allowed.contains(.GET) && !allowed.contains(.HEAD) { allowed.append(.HEAD) }
        return .methodNotAllowed(allowed: allowed)
    }

    /// Whether `a` is the more specific of two patterns that match the same path: a literal where `b` has a
    /// parameter at the first segment where they differ in kind.
    private static func isMoreSpecific(_ a: [Segment], than b: [Segment]) -> Bool {
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }

    private func strip(_ path: String) -> Substring {
        for prefix in prefixes where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            if rest.isEmpty || rest.hasPrefix("/") { return rest.isEmpty ? "/" : rest }
        }
        return path[...]
    }

    private func bind(_ pattern: [Segment], to segments: ArraySlice<Substring.UTF8View.SubSequence>) -> [String: String]? {
        var params: [String: String] = [:]
        for (segment, actual) in zip(pattern, segments) {
            switch segment {
            case .literal(let literal):
                guard actual.elementsEqual(literal.utf8) else { return nil }
            case .parameter(let name):
                guard !actual.isEmpty else { return nil }
                params[name] = FormURLEncoding.percentDecode(actual)
            }
        }
        return params
    }
}
