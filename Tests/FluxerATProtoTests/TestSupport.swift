@testable import FluxerATProto
import FluxerCrypto
import FluxerJSON
import Synchronization
import Testing

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let seconds = Mutex<Int64>(1_800_000_000)
    var now: Int64 { seconds.withLock { $0 } }
    func advance(_ by: Int64) { seconds.withLock { $0 += by } }
}

/// The mock in process, with transport-level faults on top: a rule whose text occurs in the URL answers first.
final class TestTransport: ATProtoTransport, Sendable {
    enum Outcome: Sendable {
        case fail(ATProtoTransportError)
        case respond(ATProtoHTTPResponse)
    }

    let mock: ATProtoMockServer
    private let rules = Mutex<[(String, Outcome)]>([])
    private let sent = Mutex<[ATProtoHTTPRequest]>([])

    init(mock: ATProtoMockServer) { self.mock = mock }

    func on(_ urlContains: String, _ outcome: Outcome) { rules.withLock { $0.append((urlContains, outcome)) } }
    var requests: [ATProtoHTTPRequest] { sent.withLock { $0 } }

    func send(_ request: ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse {
        sent.withLock { $0.append(request) }
        if let (_, outcome) = rules.withLock({ $0.first { request.url.contains($0.0) } }) {
            switch outcome {
            case let .fail(error): throw error
            case let .respond(response): return response
            }
        }
        return try ATProtoMockTransport(server: mock).send(request)
    }
}

/// A mock at a loopback base, a client registered with it, and a browser to click through the sign-in page.
final class Fixture: Sendable {
    static let base = "http://127.0.0.1:8080/_dev/atproto"
    static let app = "http://127.0.0.1:9000"

    let clock = TestClock()
    let mock: ATProtoMockServer
    let transport: TestTransport
    let client: ATProtoOAuthClient
    let signingKey = P256SoftKey()

    /// `handleResolver`: use the mock's XRPC resolver (else DNS TXT through the mock, then the well-known).
    init(handleResolver: Bool = true, scope: String = "atproto transition:generic", register: Bool = true) {
        let clock = clock
        let environment = ATProtoEnvironment(now: { clock.now })
        mock = ATProtoMockServer(baseURL: Self.base, environment: environment)
        transport = TestTransport(mock: mock)
        let configuration = ATProtoClientConfiguration(
            clientID: Self.app + "/oauth/atproto/client-metadata.json", clientName: "FluxerAuth tests",
            redirectURI: Self.app + "/auth/sso/callback", scope: scope, jwksURI: Self.app + "/oauth/atproto/jwks.json",
            signingKey: ATProtoClientKey(id: "k1", key: signingKey), plcDirectory: mock.plcDirectoryURL,
            handleResolver: handleResolver ? mock.handleResolverURL : nil, service: mock.pdsURL)
        client = try! ATProtoOAuthClient(configuration: configuration, transport: transport, txtResolver: mock, environment: environment)
        if register { mock.registerClient(metadata: client.clientMetadata.bytes, jwks: client.jwks.bytes) }
    }

    /// The browser: opens the authorization URL, then submits the form as `handle` (or denies). Returns the
    /// redirect's callback parameters.
    func authorize(_ start: ATProtoStart, as handle: String, deny: Bool = false) throws -> ATProtoCallback {
        let page = try open(start.authorizationURL)
        try #require(page.status == 200, "sign-in page: \(page.status)")
        let response = try approve(requestURI: requestURI(of: start), handle: handle, deny: deny)
        try #require(response.status == 303, "approval: \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        let location = try #require(response.header("Location"))
        #expect(location.hasPrefix(client.configuration.redirectURI + "?"))
        return try #require(ATProtoCallback(query: String(location.split(separator: "?", maxSplits: 1)[1])))
    }

    func open(_ url: String) throws -> ATProtoHTTPResponse {
        let parsed = try #require(ATProtoURL(url))
        return mock.handle(method: "GET", path: parsed.path, query: parsed.query ?? "", headers: [], body: [])
    }

    func approve(requestURI: String, handle: String, deny: Bool = false) throws -> ATProtoHTTPResponse {
        var fields = [("request_uri", requestURI), ("other_handle", handle)]
        if deny { fields.append(("deny", "1")) }
        return mock.handle(method: "POST", path: "/_dev/atproto/oauth/authorize", query: "",
                           headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(FormEncoding.encode(fields).utf8))
    }

    func requestURI(of start: ATProtoStart) throws -> String {
        let query = try #require(ATProtoURL(start.authorizationURL)?.query)
        return try #require(FormEncoding.decode(query)?.first { $0.0 == "request_uri" }?.1)
    }

    /// Start → sign-in page → complete.
    func signIn(_ identifier: String?, as handle: String? = nil) throws(ATProtoError) -> ATProtoSignIn {
        let start = try client.start(identifier: identifier)
        let callback: ATProtoCallback
        do { callback = try authorize(start, as: handle ?? identifier ?? "alice.test") } catch { fatalError("browser: \(error)") }
        return try client.complete(callback, pending: start.pending)
    }
}
