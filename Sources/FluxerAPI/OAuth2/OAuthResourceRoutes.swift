import HTTPServer
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// Routes that accept OAuth2 bearer tokens (each names the scope it needs), the user's authorizations, and
/// RFC 8414 discovery.
package enum OAuthResourceRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = CallerResolving

    package static func register(on router: inout Router, accounts: any OAuthResourceRoutes.Services) {
        router.api(.GET, "/users/@me/guilds") { request in try guilds(request, accounts) }
        router.api(.GET, "/users/@me/connections") { request in
            let principal = try accounts.requireUser(request, scope: .connections)
            let linked = try accounts.context.database.read { db in
                try SSOStore.identities(userID: principal.user.id, issuer: SSOService.atprotoIdentityIssuer, in: db)
            }
            return .json(.ok, SSOService.connectionList(linked))
        }
        router.api(.GET, "/oauth2/userinfo") { request in
            let principal = try bearerOnly(request, accounts, scope: .identify)
            return .json(.ok, userInfo(principal.user, scopes: principal.oauthScopes), headers: ["Cache-Control": "no-store"])
        }
        router.api(.GET, "/oauth2/@me") { request in try oauthMe(request, accounts) }
        router.api(.GET, "/oauth2/@me/authorizations") { request in try authorizations(request, accounts) }
        router.api(.DELETE, "/oauth2/@me/authorizations/:applicationId") { request in try deauthorize(request, accounts) }
        router.add(.GET, "/.well-known/oauth-authorization-server", runsOnEventLoop: true) { _ in
            metadata(accounts.context.config)
        }
    }

    /// Bearer tokens only (a session or bot token gets 401 `INVALID_TOKEN`, as the real server's userinfo).
    package static func bearerOnly(_ request: HTTPRequest, _ accounts: any OAuthResourceRoutes.Services, scope: OAuthScope?) throws -> Principal {
        let invalid = APIError(.unauthorized, code: "INVALID_TOKEN", message: "Invalid token.", headers: ["WWW-Authenticate": "Bearer error=\"invalid_token\""])
        // Only a `Bearer` credential can identify an OAuth2 caller.
        guard let principal = try accounts.principal(request), principal.isOAuth else { throw invalid }
        if let scope, !principal.oauthScopes.contains(scope.rawValue) { throw APIError.missingScope(scope) }
        return principal
    }

    /// The real server's `mapUserToOAuthResponse`: `email` only with the email scope, `verified` with it.
    package static func userInfo(_ user: User, scopes: [String]) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("sub", .string(String(user.id))), ("id", .string(String(user.id))), ("username", .string(user.username)),
            ("discriminator", .string(user.discriminatorText)), ("avatar", user.avatar.map(JSONValue.string) ?? .null),
        ]
        if scopes.contains("email"), let email = user.email {
            members += [("verified", .bool(user.verified)), ("email", .string(email))]
        } else {
            members.append(("email", .null))
        }
        members += [("flags", .int(user.flags)), ("global_name", user.globalName.map(JSONValue.string) ?? .null),
                    ("bot", .bool(user.isBot)), ("system", .bool(user.isSystem)), ("acls", .array([])), ("avatar_color", .null)]
        return .object(members)
    }

    package static func guilds(_ request: HTTPRequest, _ accounts: any OAuthResourceRoutes.Services) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, scope: .guilds)
        var limit = 200
        if let text = request.queryValue("limit") {
            guard let n = Int(text), (1...200).contains(n), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw APIError.invalidField("limit", "limit must be between 1 and 200.", code: "VALUE_MUST_BE_INTEGER_IN_RANGE")
            }
            limit = n
        }
        // Cursors are snowflakes; anything else is refused rather than ignored (a client's bug shows at once).
        var cursors: [UInt64?] = []
        var errors: [FieldError] = []
        for name in ["before", "after"] {
            guard let text = request.queryValue(name) else { cursors.append(nil); continue }
            guard let value = Snowflake.parse(text) else {
                errors.append(FieldError(path: name, message: "Must be a snowflake.", code: "INVALID_SNOWFLAKE_FORMAT"))
                cursors.append(nil)
                continue
            }
            cursors.append(value)
        }
        guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }
        let before = cursors[0], after = cursors[1]
        let items = try accounts.context.database.read { db in
            try GuildStore.memberships(userID: principal.user.id, in: db)
                .filter { guild, _ in (before.map { guild.id < $0 } ?? true) && (after.map { guild.id > $0 } ?? true) }
                .prefix(limit)
                .map { $0.0.json(permissions: $0.1, userID: principal.user.id) }
        }
        return .json(.ok, JSONValue.array(Array(items)))
    }

    package static func oauthMe(_ request: HTTPRequest, _ accounts: any OAuthResourceRoutes.Services) throws -> HTTPResponse {
        let principal = try bearerOnly(request, accounts, scope: nil)
        guard case .oauth(let appID, let scopes, let expiresAt) = principal.kind,
              let app = try accounts.context.database.read({ try ApplicationStore.find(id: appID, in: $0) })
        else { throw APIError(.unauthorized, code: "INVALID_TOKEN", message: "Invalid token.") }
        var members: [(String, JSONValue)] = [
            ("application", .object([
                ("id", .string(String(app.id))), ("name", .string(app.name)), ("icon", app.icon.map(JSONValue.string) ?? .null),
                ("description", app.description.map(JSONValue.string) ?? .null), ("bot_public", .bool(app.botPublic)),
                ("bot_require_code_grant", .bool(app.botRequireCodeGrant)), ("flags", .int(app.flags)),
            ])),
            ("scopes", .array(scopes.map(JSONValue.string))),
            ("expires", .string(ISO8601.format(milliseconds: expiresAt))),
        ]
        if scopes.contains("identify") { members.append(("user", userInfo(principal.user, scopes: scopes))) }
        return .json(.ok, JSONValue.object(members), headers: ["Cache-Control": "no-store"])
    }

    package static func authorizations(_ request: HTTPRequest, _ accounts: any OAuthResourceRoutes.Services) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        let items = try accounts.context.database.read { db -> [JSONValue] in
            try OAuthStore.authorizations(userID: principal.user.id, in: db).compactMap { authorization in
                guard let app = try ApplicationStore.find(id: authorization.applicationID, in: db) else { return nil }
                return .object([
                    ("application", .object([
                        ("id", .string(String(app.id))), ("name", .string(app.name)), ("icon", app.icon.map(JSONValue.string) ?? .null),
                        ("description", app.description.map(JSONValue.string) ?? .null), ("bot_public", .bool(app.botPublic)),
                    ])),
                    ("scopes", .array(authorization.scopes.filter { $0 != .bot }.map { .string($0.rawValue) })),
                    ("authorized_at", .string(ISO8601.format(milliseconds: authorization.authorizedAt))),
                ])
            }
        }
        return .json(.ok, JSONValue.array(items))
    }

    /// Revokes every token the application holds for the user and forgets the consent.
    package static func deauthorize(_ request: HTTPRequest, _ accounts: any OAuthResourceRoutes.Services) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        // A malformed id is a bad request (the document lists 400, not 404); a well-formed unknown one is 204.
        guard let appID = request.parameters["applicationId"].flatMap(Snowflake.parse) else {
            throw APIError.invalidField("application_id", "Must be a snowflake.", code: "INVALID_SNOWFLAKE_FORMAT")
        }
        try accounts.write { db, invalidations in
            try OAuthStore.revokeAll(applicationID: appID, userID: principal.user.id, reason: "deauthorized", now: accounts.now, in: db)
            invalidations.tokens.revoked(.oauthGrant)
            // Codes issued before the withdrawal must not yield tokens after it.
            try OAuthStore.deleteUnusedCodes(applicationID: appID, userID: principal.user.id, in: db)
            try OAuthStore.deleteAuthorization(applicationID: appID, userID: principal.user.id, in: db)
            invalidations.users.append(principal.user.id)
        }
        return .noContent
    }

    /// RFC 8414 authorization server metadata.
    package static func metadata(_ config: Config) -> HTTPResponse {
        let base = config.effectivePublicURL
        return .json(.ok, JSONValue.object([
            ("issuer", .string(base)),
            ("authorization_endpoint", .string(base + "/oauth2/authorize")),
            ("token_endpoint", .string(base + "/oauth2/token")),
            ("revocation_endpoint", .string(base + "/oauth2/token/revoke")),
            ("introspection_endpoint", .string(base + "/oauth2/introspect")),
            ("userinfo_endpoint", .string(base + "/oauth2/userinfo")),
            ("scopes_supported", .array(OAuthScope.offered.map { .string($0.rawValue) })),
            ("response_types_supported", ["code"]),
            ("response_modes_supported", ["query"]),
            ("grant_types_supported", ["authorization_code", "refresh_token"]),
            ("token_endpoint_auth_methods_supported", ["client_secret_basic", "client_secret_post", "none"]),
            ("revocation_endpoint_auth_methods_supported", ["client_secret_basic", "client_secret_post", "none"]),
            ("introspection_endpoint_auth_methods_supported", ["client_secret_basic", "client_secret_post"]),
            ("code_challenge_methods_supported", ["S256"]),
            ("authorization_response_iss_parameter_supported", true),
        ]), headers: ["Cache-Control": "public, max-age=3600"])
    }
}
