import FluxerATProto
import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer

/// Sign in with Bluesky: the AT Protocol OAuth client of each atproto provider, our client metadata document and
/// JWKS, the client's signing keys (sealed in the database, the same on every node), and the built-in dev mock.
extension SSOService {
    /// Upstream failures reach clients as this, without detail (the log has the reason).
    package static let providerError = APIError(.init(502), code: "SSO_PROVIDER_ERROR",
                                                message: "The sign-in provider is unavailable or answered wrongly. Try again later.")

    /// The client of an atproto provider.
    package func atprotoClient(_ upstream: ATProtoUpstream) throws(APIError) -> ATProtoOAuthClient {
        do {
            let keys = try atprotoClientKeys()
            let signing = ATProtoClientKeyRing.signing(keys, now: accounts.now)
            let fingerprint = signing.client.id + "|" + keys.map(\.client.id).joined(separator: ",")
            return try upstream.client(keys: fingerprint) { try makeATProtoClient(upstream.settings, keys: keys, signing: signing) }
        } catch {
            accounts.context.logger.error("atproto client unavailable", metadata: ["provider": "\(upstream.settings.name)", "error": "\(error)"])
            throw Self.providerError
        }
    }

    /// Every atproto provider's scopes together: one client metadata document (one `client_id`) serves them all.
    private var atprotoScope: String {
        var seen: [String] = []
        for provider in providers {
            guard let settings = provider.atproto?.settings else { continue }
            for scope in settings.scope.split(separator: " ").map(String.init) where !seen.contains(scope) { seen.append(scope) }
        }
        return seen.isEmpty ? "atproto" : seen.joined(separator: " ")
    }

    private func makeATProtoClient(_ settings: ATProtoProviderSettings, keys: [ATProtoClientKeyRing.Key],
                                   signing: ATProtoClientKeyRing.Key) throws -> ATProtoOAuthClient {
        let config = accounts.context.config
        let base = Self.baseURL(config, port: boundPort.load())
        var service = settings.service, plc = settings.plcDirectory, resolver = settings.handleResolver
        let transport: any ATProtoTransport
        let txt: any ATProtoTXTResolver
        var builtIn: ATProtoMockServer?
        if settings.service.isEmpty {
            // The dev built-in: the whole network is the mock, reached in process.
            guard let mock = atprotoMockServer() else { throw Self.providerError }
            service = mock.pdsURL
            plc = mock.plcDirectoryURL
            resolver = mock.handleResolverURL
            transport = ATProtoMockTransport(server: mock)
            txt = mock
            builtIn = mock
        } else {
            transport = ATProtoHTTPTransport(trustedHosts: settings.configuredHosts, timeoutMilliseconds: config.ssoTimeoutMilliseconds)
            txt = SystemTXTResolver()
        }
        let configuration = ATProtoClientConfiguration(
            clientID: base + Self.atprotoClientMetadataPath, clientName: "FluxerAuth", redirectURI: callbackURI,
            scope: atprotoScope, jwksURI: base + Self.atprotoJWKSPath, signingKey: signing.client,
            retiredKeys: keys.filter { $0.client.id != signing.client.id }.map { (id: $0.client.id, publicKey: $0.client.key.coseKey) },
            plcDirectory: plc, handleResolver: resolver.isEmpty ? nil : resolver, service: service,
            developmentOrigins: config.dev && base.hasPrefix("http://") ? [base] : [])
        let client = try ATProtoOAuthClient(configuration: configuration, transport: transport, txtResolver: txt)
        if let builtIn {
            _ = builtIn.registerClient(metadata: Array(client.clientMetadata.serialized.utf8), jwks: Array(client.jwks.serialized.utf8))
        }
        return client
    }

    /// Our client's keys, newest first, read at most every `ATProtoClientKeyRing.cacheLifetime` (a rotation on
    /// another node or by the CLI is seen within it).
    package func atprotoClientKeys() throws -> [ATProtoClientKeyRing.Key] {
        let now = accounts.now
        return try atprotoKeys.withLock { cached -> [ATProtoClientKeyRing.Key] in
            if let cached, now - cached.at < ATProtoClientKeyRing.cacheLifetime { return cached.keys }
            let keys = try ATProtoClientKeyRing.load(database: accounts.context.database, secret: accounts.context.secretKey, now: now)
            cached = (keys, now)
            return keys
        }
    }

    /// The built-in mock AT Protocol network (dev mode only), made on first use.
    package func atprotoMockServer() -> ATProtoMockServer? {
        let config = accounts.context.config
        guard config.dev else { return nil }
        return atprotoMock.withLock { mock in
            if let mock { return mock }
            // Clients it has not been told about (another server on this machine, in tests) are fetched from their
            // client_id URL, on loopback only.
            let fetcher = ATProtoHTTPTransport(trustedHosts: ["127.0.0.1", "localhost", "::1"], timeoutMilliseconds: 5_000)
            let made = ATProtoMockServer(baseURL: Self.baseURL(config, port: boundPort.load()) + Self.atprotoMockPath, clientTransport: fetcher)
            mock = made
            return made
        }
    }

    package static let atprotoMockPath = "/_dev/atproto"

    /// `GET /oauth/atproto/client-metadata.json` and `/oauth/atproto/jwks.json` (when an atproto provider is on),
    /// and the dev mock's endpoints under `/_dev/atproto`.
    package func registerATProto(on router: inout Router) {
        guard let first = providers.first(where: { $0.atproto != nil })?.atproto else { return }
        router.api(.GET, Self.atprotoClientMetadataPath) { [self] _ in
            .json(.ok, try atprotoClient(first).clientMetadata, headers: ["Cache-Control": "public, max-age=300"])
        }
        router.api(.GET, Self.atprotoJWKSPath) { [self] _ in
            .json(.ok, try atprotoClient(first).jwks, headers: ["Cache-Control": "public, max-age=300"])
        }
        guard accounts.context.config.dev else { return }
        let routes: [(HTTPMethod, String)] = [
            (.GET, "/.well-known/oauth-protected-resource"), (.GET, "/.well-known/oauth-authorization-server"),
            (.GET, "/foreign/.well-known/oauth-protected-resource"), (.GET, "/foreign/.well-known/oauth-authorization-server"),
            (.POST, "/oauth/par"), (.GET, "/oauth/authorize"), (.POST, "/oauth/authorize"), (.POST, "/oauth/token"),
            (.GET, "/xrpc/com.atproto.identity.resolveHandle"), (.GET, "/xrpc/com.atproto.server.getSession"), (.GET, "/plc/:did"),
        ]
        for (method, path) in routes {
            router.add(method, Self.atprotoMockPath + path) { [self] request in
                guard let mock = atprotoMockServer() else { return HTTPResponse(status: .notFound) }
                let headers = request.headers.map { ($0.name, $0.value) }
                let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
                let answer = mock.handle(method: "\(request.method)", path: Self.unprefixed(path), query: request.query ?? "",
                                         headers: headers, body: request.body)
                var out = HTTPHeaders()
                for (name, value) in answer.headers { out.add(name, value) }
                return HTTPResponse(status: HTTPStatus(answer.status), headers: out, body: answer.body)
            }
        }
    }

    /// A request path without the `/api/v1` or `/v1` prefix the router also answers under.
    private static func unprefixed(_ path: String) -> String {
        for prefix in ["/api/v1", "/v1"] where path.hasPrefix(prefix + "/") { return String(path.dropFirst(prefix.count)) }
        return path
    }

    /// How an atproto failure reaches the client: bad input 400, upstream 502 (detail in the log), a refused
    /// callback 400 with an audit row; never a session.
    package func apiError(_ error: ATProtoError, provider: String, request: HTTPRequest) -> APIError {
        switch error.kind {
        case .badInput:
            return APIError.invalidField("handle", "This handle or DID could not be resolved to an account.", code: "SSO_HANDLE_NOT_RESOLVED")
        case .upstream:
            accounts.context.logger.warning("atproto provider failed", metadata: ["provider": "\(provider)", "reason": "\(error.description)"])
            return Self.providerError
        case .refused:
            accounts.context.logger.warning("atproto sign-in refused", metadata: ["provider": "\(provider)", "reason": "\(error.reason)"])
            accounts.audit.record("login.failure", outcome: "refused", request: request, detail: "sso_atproto:" + error.reason)
            return Self.failed
        }
    }
}
