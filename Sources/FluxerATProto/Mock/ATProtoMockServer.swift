import FluxerCrypto
import FluxerJSON
import Synchronization

/// A strict fake of the AT Protocol network in one request handler: a PLC directory, a handle resolver, a PDS and
/// its authorization server (plus a "foreign" PDS whose metadata names another authorization server).
///
/// It enforces what the real Bluesky does, so the client code it exercises is the code that talks to Bluesky: PAR
/// required, `request_uri` single use and short-lived, DPoP proofs on PAR, token and PDS requests (signature,
/// `htm`, `htu`, `iat`, `jti` replay, server nonces, key binding), PKCE S256, `private_key_jwt` assertions checked
/// against the client's JWKS, single-use short-lived codes, DPoP-bound tokens.
///
/// It is a pure request → response function over a base URL (`http://127.0.0.1:8080/_dev/atproto`): the app
/// mounts it on its router under the base path, tests call it in process through `ATProtoMockTransport`.
///
/// Layout under the base URL B: `B` is the PDS, its authorization server and the handle resolver; `B/plc` the PLC
/// directory; `B/foreign` a PDS whose authorization server is `B/foreign`.
public final class ATProtoMockServer: Sendable {
    /// How long a `request_uri` is valid, in seconds (RFC 9126 §2.2 `expires_in`).
    public static let requestURILifetime: Int64 = 90
    /// How long a code is valid, in seconds (RFC 6749 §4.1.2 recommends at most 10 minutes; ours is short).
    public static let codeLifetime: Int64 = 60
    /// How long an access token is valid, in seconds.
    public static let accessTokenLifetime: Int64 = 3600
    /// How far a proof's or assertion's `iat` may be from the mock's clock, in seconds.
    public static let clockSkew: Int64 = 60
    /// How often the server nonce changes, in seconds (the previous one stays valid for one more period).
    public static let nonceLifetime: Int64 = 180

    /// The base URL, without a trailing slash.
    public let baseURL: String
    let base: ATProtoURL
    let environment: ATProtoEnvironment
    let clientTransport: (any ATProtoTransport)?
    let state = Mutex(MockState())

    /// A mock at `baseURL` with the accounts `alice.test` and `bob.test`. `clientTransport` fetches client
    /// metadata documents and JWKS for clients not registered with `registerClient`.
    public init(baseURL: String, clientTransport: (any ATProtoTransport)? = nil, environment: ATProtoEnvironment = .system) {
        guard let url = ATProtoURL(baseURL), url.query == nil, url.fragment == nil else { preconditionFailure("mock base URL") }
        base = url
        self.baseURL = url.base
        self.environment = environment
        self.clientTransport = clientTransport
        for handle in ["alice.test", "bob.test"] { createAccount(handle: handle) }
    }

    /// The authorization server's issuer.
    public var issuer: String { baseURL }
    /// The main PDS (also the entryway `service`).
    public var pdsURL: String { baseURL }
    /// A PDS whose protected resource metadata names another authorization server.
    public var foreignPDSURL: String { baseURL + "/foreign" }
    /// The PLC directory (`plc_directory`).
    public var plcDirectoryURL: String { baseURL + "/plc" }
    /// The XRPC service answering `com.atproto.identity.resolveHandle` (`handle_resolver`).
    public var handleResolverURL: String { baseURL }

    /// Answers one request. `path` is the full request path (the base path included); `query` the raw query string.
    public func handle(method: String, path: String, query: String, headers: [(String, String)], body: [UInt8]) -> ATProtoHTTPResponse {
        let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        guard path.hasPrefix(prefix) else { return MockResponse.notFound }
        let local = String(path.dropFirst(prefix.count))
        let request = MockRequest(method: method, path: local, query: query, headers: headers, body: body)
        let (endpoint, response) = route(request)
        state.withLock { $0.record("\(method) \(local) \(response.status)") }
        guard let endpoint else { return response }
        return applyOutputFaults(endpoint, response)
    }

    /// The route table: (endpoint, handler) by method and path.
    private func route(_ request: MockRequest) -> (ATProtoMockEndpoint?, ATProtoHTTPResponse) {
        let table: [(String, String, ATProtoMockEndpoint, (MockRequest) -> ATProtoHTTPResponse)] = [
            ("GET", "/.well-known/oauth-protected-resource", .protectedResource, { _ in self.protectedResource(foreign: false) }),
            ("GET", "/.well-known/oauth-authorization-server", .authorizationServerMetadata,
             { _ in self.authorizationServerMetadata(foreign: false) }),
            ("GET", "/foreign/.well-known/oauth-protected-resource", .protectedResource, { _ in self.protectedResource(foreign: true) }),
            ("GET", "/foreign/.well-known/oauth-authorization-server", .authorizationServerMetadata,
             { _ in self.authorizationServerMetadata(foreign: true) }),
            ("POST", "/oauth/par", .pushedAuthorization, pushedAuthorization),
            ("GET", "/oauth/authorize", .authorize, authorizationPage),
            ("POST", "/oauth/authorize", .authorize, approve),
            ("POST", "/oauth/token", .token, token),
            ("GET", "/xrpc/com.atproto.identity.resolveHandle", .resolveHandle, resolveHandle),
            ("GET", "/xrpc/com.atproto.server.getSession", .getSession, session),
        ]
        if let (_, _, endpoint, handler) = table.first(where: { $0.0 == request.method && $0.1 == request.path }) {
            if let status = failure(endpoint) { return (endpoint, MockResponse.json(status, [:])) }
            return (endpoint, handler(request))
        }
        if request.method == "GET", request.path.hasPrefix("/plc/") {
            if let status = failure(.plc) { return (.plc, MockResponse.json(status, [:])) }
            return (.plc, plcDocument(String(request.path.dropFirst("/plc/".count))))
        }
        if table.contains(where: { $0.1 == request.path }) { return (nil, MockResponse.json(405, ["error": "method_not_allowed"])) }
        return (nil, MockResponse.notFound)
    }

    func failure(_ endpoint: ATProtoMockEndpoint) -> Int? {
        state.withLock { $0.faults.failingEndpoints[endpoint] }
    }

    /// Pads a JSON body past the client's document limit when the endpoint is marked oversized.
    func applyOutputFaults(_ endpoint: ATProtoMockEndpoint, _ response: ATProtoHTTPResponse) -> ATProtoHTTPResponse {
        guard state.withLock({ $0.faults.oversizedEndpoints.contains(endpoint) }) else { return response }
        var padded = response
        padded.body = Array(#"{"padding":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: ATProtoJSON.maxDocumentBytes)
            + Array(#""}"#.utf8)
        return padded
    }

    /// The absolute URL of a path under the base (what `htu` and `aud` must name).
    func url(_ path: String) -> String { baseURL + path }

    /// The current server nonce, rotated every `nonceLifetime` seconds.
    func currentNonce() -> String {
        let now = environment.now()
        return state.withLock { state in
            if state.nonce.isEmpty || now - state.nonceIssuedAt >= Self.nonceLifetime {
                state.previousNonce = state.nonce
                state.nonce = Base64URL.encode(environment.randomBytes(16))
                state.nonceIssuedAt = now
            }
            return state.nonce
        }
    }

    /// The request log, `METHOD path status` per request, oldest first (the last `MockState.maxLogEntries`).
    public var requestLog: [String] { state.withLock { $0.log } }
}

/// One request as the mock sees it, its path relative to the base.
struct MockRequest: Sendable {
    let method: String
    let path: String
    let query: String
    let headers: [(String, String)]
    let body: [UInt8]

    func header(_ name: String) -> String? { ATProtoHeaders.first(name, in: headers) }
    func headerCount(_ name: String) -> Int { headers.filter { $0.0.lowercased() == name.lowercased() }.count }

    /// Form or query parameters; nil when they do not decode or a name repeats (RFC 6749 §3.1).
    static func parameters(_ text: String) -> [String: String]? {
        guard let pairs = FormEncoding.decode(text) else { return nil }
        var out: [String: String] = [:]
        for (name, value) in pairs {
            guard out[name] == nil else { return nil }
            out[name] = value
        }
        return out
    }

    /// The body as form parameters, when the content type says so.
    var form: [String: String]? {
        guard header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true,
              let text = String(validating: body, as: UTF8.self)
        else { return nil }
        return Self.parameters(text)
    }
}

/// Response helpers.
enum MockResponse {
    static let notFound = json(404, ["error": "not_found"])

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> ATProtoHTTPResponse {
        ATProtoHTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.bytes)
    }

    /// An RFC 6749 §5.2 error body.
    static func oauthError(_ status: Int, _ code: String, _ description: String, headers: [(String, String)] = []) -> ATProtoHTTPResponse {
        json(status, ["error": .string(code), "error_description": .string(description)], headers: headers)
    }

    static func html(_ status: Int, _ page: String) -> ATProtoHTTPResponse {
        ATProtoHTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                            body: Array(page.utf8))
    }

    static func redirect(_ location: String) -> ATProtoHTTPResponse {
        ATProtoHTTPResponse(status: 303, headers: [("Location", location), ("Cache-Control", "no-store")])
    }
}
