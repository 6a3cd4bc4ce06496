import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer

/// The real server's Bluesky connections: a signed-in user links their Bluesky account
/// (`POST /users/@me/connections/bluesky/authorize {handle}` → `{authorize_url}`), the browser signs in at
/// Bluesky and comes back to our callback, which links the DID and answers 303 to
/// `<sso.app_url>/connection-callback?status=connected|error&reason=…`. `GET /users/@me/connections` lists the
/// links and `DELETE /users/@me/connections/bluesky/:did` (sudo) removes one. A linked DID also signs in to the
/// account through the atproto provider; a DID linked to another account is refused.
extension SSOService {
    package static let connectionsNotEnabled = APIError(.badRequest, code: "BLUESKY_OAUTH_NOT_ENABLED",
                                                        message: "Bluesky OAuth connections are not enabled on this instance.")
    package static let connectionExists = APIError(.badRequest, code: "CONNECTION_ALREADY_EXISTS",
                                                   message: "A connection of this type with this identifier already exists.")
    package static let connectionNotFound = APIError(.notFound, code: "CONNECTION_NOT_FOUND", message: "Unknown connection.")
    package static let connectionLimit = APIError(.badRequest, code: "CONNECTION_LIMIT_REACHED", message: "Maximum number of connections reached.")
    package static let lastSignInMethod = APIError(.badRequest, code: "CONNECTION_VERIFICATION_FAILED",
                                                   message: "This connection is the account's only way to sign in; set a password first.")
    /// Bluesky accounts one user may link.
    package static let maxConnections = 10

    /// The provider connections use: the atproto provider named `bluesky`, else the first atproto provider.
    package var connectionProvider: SSOProvider? {
        if let named = provider(named: Self.builtInBlueskyName), named.atproto != nil { return named }
        return providers.first { $0.atproto != nil }
    }

    package func registerConnections(on router: inout Router) {
        router.api(.POST, "/users/@me/connections/bluesky/authorize") { [self] request in try authorizeConnection(request) }
        router.addDeferred(.DELETE, "/users/@me/connections/bluesky/:did") { [self] request, writer in disconnect(request, writer) }
    }

    package func authorizeConnection(_ request: HTTPRequest) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        guard let provider = connectionProvider else { throw Self.connectionsNotEnabled }
        struct Body: Decodable { var handle: String }
        let body = try JSONBody.decode(Body.self, from: request)
        guard (1...2048).contains(body.handle.utf8.count) else {
            throw APIError.invalidField("handle", "handle must be 1-2048 characters.", code: "STRING_LENGTH_INVALID")
        }
        let sameSite = ["same-origin", "same-site"].contains(request.headers["Sec-Fetch-Site"]?.lowercased() ?? "")
        let binding = sameSite ? Base64URL.encode(SecureRandom.bytes(32)) : nil
        let url: String
        do {
            (url, _) = try beginSignIn(provider, redirectTo: "", redirectURI: callbackURI, browserBinding: nil, clientIP: request.remoteAddress,
                                       linkUserID: principal.user.id, handle: body.handle, callbackBinding: binding.map { SHA256.hash(utf8: $0) },
                                       purpose: "connection", request: request)
        } catch let error as APIError where error.code == "INVALID_FORM_BODY" {
            throw APIError.invalidField("handle", "The Bluesky handle could not be resolved for authorisation.",
                                        code: "BLUESKY_OAUTH_AUTHORIZATION_FAILED")
        }
        var response = HTTPResponse.json(.ok, JSONValue.object([("authorize_url", .string(url))]), headers: ["Cache-Control": "no-store"])
        if let binding {
            let config = accounts.context.config
            var cookie = "\(WebSession.ssoCallbackCookie(config))=\(binding); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Self.stateLifetime / 1000)"
            if WebSession.isSecure(config) { cookie += "; Secure" }
            response.headers.add("Set-Cookie", cookie)
        }
        return response
    }

    /// Links the DID to the user who started the connection.
    package func connect(_ identity: OIDCIdentity, provider: SSOProvider, userID: UInt64, request: HTTPRequest) throws -> SignInResult {
        let now = accounts.now
        let refused = try accounts.write { db, _ -> APIError? in
            guard let user = try UserStore.find(id: userID, in: db), !user.isBot else { return Self.invalidState }
            let linkedTo = try SSOStore.linkedUser(issuer: identity.issuer, subject: identity.subject, in: db)
            if let linkedTo, linkedTo != userID { return Self.connectionExists }
            if linkedTo == nil,
               try SSOStore.identities(userID: userID, issuer: identity.issuer, in: db).count >= Self.maxConnections {
                return Self.connectionLimit
            }
            try SSOStore.link(issuer: identity.issuer, subject: identity.subject, provider: provider.name, userID: userID, email: nil,
                              now: now, handle: identity.name, in: db)
            return nil
        }
        if let refused {
            accounts.audit.record("connection.link", outcome: "refused", userID: userID, request: request, detail: refused.code.lowercased())
            throw refused
        }
        accounts.audit.record("connection.link", outcome: "success", userID: userID, request: request, detail: "bluesky")
        return .connected(userID)
    }

    /// `DELETE /users/@me/connections/bluesky/:did` (sudo) → 204.
    package func disconnect(_ request: HTTPRequest, _ writer: ResponseWriter) {
        writer.respondAsync { [self] reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            let did = request.parameters["did"] ?? ""
            guard (1...2048).contains(did.utf8.count) else { throw Self.connectionNotFound }
            try accounts.requireSudo(principal, request: request, reply: reply) { [self] in
                let userID = principal.user.id
                let refused = try accounts.write { db, _ -> APIError? in
                    let mine = try SSOStore.identities(userID: userID, issuer: Self.atprotoIdentityIssuer, in: db)
                    guard mine.contains(where: { $0.subject == did }) else { return Self.connectionNotFound }
                    // An account with no password and no other identity would be left with no way in.
                    if principal.user.passwordHash == nil, try SSOStore.identityCount(userID: userID, in: db) <= 1 { return Self.lastSignInMethod }
                    _ = try SSOStore.unlink(userID: userID, issuer: Self.atprotoIdentityIssuer, subject: did, in: db)
                    return nil
                }
                if let refused { throw refused }
                accounts.audit.record("connection.unlink", outcome: "success", userID: userID, request: request, detail: "bluesky")
                return HTTPResponse(status: .noContent)
            }
        }
    }

    /// The user's Bluesky connections, in the shape of the real server's connection objects.
    package static func connectionList(_ identities: [SSOStore.LinkedIdentity]) -> JSONValue {
        .array(identities.map { identity in
            JSONValue.object([
                ("id", .string(identity.subject)), ("type", "bsky"), ("name", .string(identity.handle ?? identity.subject)),
                ("verified", true), ("visibility", 1), ("friend_sync", false), ("show_activity", false), ("revoked", false),
            ])
        })
    }
}
