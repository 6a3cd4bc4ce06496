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
            return try upstream.client { try makeATProtoClient(upstream.settings) }
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

    private func makeATProtoClient(_ settings: ATProtoProviderSettings) throws -> ATProtoOAuthClient {
        let config = accounts.context.config
        let base = Self.baseURL(config, port: boundPort.load())
        let keys = try atprotoClientKeys()
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
            scope: atprotoScope, jwksURI: base + Self.atprotoJWKSPath, signingKey: keys[0],
            retiredKeys: keys.dropFirst().map { (id: $0.id, publicKey: $0.key.coseKey) },
            plcDirectory: plc, handleResolver: resolver.isEmpty ? nil : resolver, service: service,
            developmentOrigins: config.dev && base.hasPrefix("http://") ? [base] : [])
        let client = try ATProtoOAuthClient(configuration: configuration, transport: transport, txtResolver: txt)
        if let builtIn {
            _ = builtIn.registerClient(metadata: Array(client.clientMetadata.serialized.utf8), jwks: Array(client.jwks.serialized.utf8))
        }
        return client
    }

    /// The first key's id: every node that finds no key inserts this one, so exactly one wins (`ON CONFLICT DO
    /// NOTHING`) and all nodes publish and sign with the same key.
    package static let firstATProtoKeyID = "atproto-1"

    /// Our client's signing keys, newest first, made (and stored sealed) the first time any node needs one.
    package func atprotoClientKeys() throws -> [ATProtoClientKey] {
        try atprotoKeys.withLock { cached -> [ATProtoClientKey] in
            if let cached { return cached }
            let box = SecretBox(key: SecretBox.deriveKey(from: accounts.context.secretKey, context: "fluxer-auth/atproto-client-key"))
            let now = accounts.now
            let rows = try accounts.write { db, _ -> [SSOStore.ATProtoKeyRow] in
                var rows = try SSOStore.activeATProtoKeys(in: db)
                if rows.isEmpty {
                    let sealed = box.seal(P256SoftKey().privateKeyDER)
                    try SSOStore.insertATProtoKey(.init(kid: Self.firstATProtoKeyID, privateKeySealed: sealed, createdAt: now), in: db)
                    rows = try SSOStore.activeATProtoKeys(in: db)
                }
                return rows
            }
            let keys = rows.compactMap { row in
                box.open(row.privateKeySealed).flatMap(P256SoftKey.init(privateKeyDER:)).map { ATProtoClientKey(id: row.kid, key: $0) }
            }
            // A key sealed under another secret cannot be opened: the server secret changed. Refuse rather than
            // publish a JWKS without the key the authorization servers know.
            guard !keys.isEmpty, keys.count == rows.count else { throw ATProtoKeyError.unreadable }
            cached = keys
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

/// Our client keys could not be opened (the server secret changed since they were sealed).
package enum ATProtoKeyError: Error, CustomStringConvertible {
    case unreadable
    package var description: String { "the AT Protocol client keys cannot be opened with this server's secret key" }
}
