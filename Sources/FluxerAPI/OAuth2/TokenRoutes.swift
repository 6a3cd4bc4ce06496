import HTTPServer
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `POST /oauth2/token` (RFC 6749 §3.2), `POST /oauth2/token/revoke` (RFC 7009), `POST /oauth2/introspect`
/// (RFC 7662). Errors use the RFC shape.
package enum TokenRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = CallerResolving & SessionIssuing

    package static func register(on router: inout Router, accounts: any TokenRoutes.Services) {
        let grants = OAuthGrants(accounts: accounts)
        router.api(.POST, "/oauth2/token") { request in
            try oauthErrors { try token(request, grants) }
        }
        router.api(.POST, "/oauth2/token/revoke") { request in
            try oauthErrors { try revoke(request, accounts) }
        }
        router.api(.POST, "/oauth2/introspect") { request in
            try oauthErrors { try introspect(request, accounts) }
        }
    }

    /// Storage failures stay 503; a Fluxer `APIError` from shared code is re-expressed in the RFC shape.
    package static func oauthErrors(_ body: () throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return try body()
        } catch let error as APIError where error.status.code == 400 {
            throw OAuthError.invalidRequest(error.message)
        }
    }

    package static func token(_ request: HTTPRequest, _ grants: OAuthGrants) throws -> HTTPResponse {
        let form = try OAuthForm(request)
        let client = try ClientAuthentication.credentials(request, form: form)
        switch form["grant_type"] {
        case "authorization_code":
            return OAuthGrants.tokenResponse(try grants.redeemCode(form, client: client, request: request))
        case "refresh_token":
            return OAuthGrants.tokenResponse(try grants.refresh(form, client: client, request: request))
        case let other:
            // A bad client is refused before a bad grant type, as for the two grants.
            _ = try grants.context.database.read { try ClientAuthentication.verify(client, in: $0) }
            guard let other else { throw OAuthError.invalidRequest("grant_type is required.") }
            throw OAuthError.unsupportedGrantType("Unsupported grant_type \(other.prefix(40)); use authorization_code or refresh_token.")
        }
    }

    /// RFC 7009 §2: the same answer for unknown tokens (no oracle); a refresh token takes its whole grant with it;
    /// another client's token is refused and stays valid (RV-02). The answer is 204 No Content, as Fluxer's
    /// OpenAPI document has it (RFC 7009 §2.2 asks for 200; clients treat any 2xx as success).
    package static func revoke(_ request: HTTPRequest, _ accounts: any TokenRoutes.Services) throws -> HTTPResponse {
        let form = try OAuthForm(request)
        let client = try ClientAuthentication.authenticate(request, form: form, in: accounts.context.database)
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required.") }
        if let hint = form["token_type_hint"], hint != "access_token", hint != "refresh_token" {
            throw OAuthError(error: "unsupported_token_type", description: "token_type_hint must be access_token or refresh_token.")
        }
        try accounts.write { db, invalidations in
            guard let record = try OAuthStore.findToken(token, in: db) else { return }
            guard record.applicationID == client.id else {
                throw OAuthError.unauthorizedClient("The token was not issued to this client.")
            }
            if record.kind == "refresh" {
                try OAuthStore.revokeFamily(record.familyID, reason: "revoked", now: accounts.now, in: db)
                invalidations.tokens.revoked(.oauthGrant)
            } else {
                try OAuthStore.deleteToken(record.hash, in: db)
                invalidations.tokens.revoked(.oauthAccess)
            }
            invalidations.users.append(record.userID)
        }
        return HTTPResponse(status: .noContent, headers: ["Cache-Control": "no-store"])
    }

    /// RFC 7662 §2.2: `{active: false}` for anything not a live access token.
    package static func introspect(_ request: HTTPRequest, _ accounts: any TokenRoutes.Services) throws -> HTTPResponse {
        let form = try OAuthForm(request)
        let client = try ClientAuthentication.authenticate(request, form: form, in: accounts.context.database)
        // RFC 7662 §2.1, §4: the caller must be authorized; a public client proves nothing, and a client learns
        // only about its own tokens (no token scanning across clients).
        guard !client.isPublicClient else {
            throw OAuthError.invalidClient("Public clients cannot use introspection.", basic: request.headers["Authorization"] != nil)
        }
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required.") }
        let record = try accounts.context.database.read { try OAuthStore.findToken(token, in: $0) }
        let now = accounts.now
        guard let record, record.kind == "access", record.applicationID == client.id, !record.familyRevoked, record.expiresAt > now else {
            return .json(.ok, JSONValue.object([("active", false)]), headers: ["Cache-Control": "no-store"])
        }
        return .json(.ok, JSONValue.object([
            ("active", true), ("client_id", .string(String(record.applicationID))), ("sub", .string(String(record.userID))),
            ("scope", .string(OAuthScope.string(record.scopes))), ("token_type", "Bearer"),
            ("exp", .int(record.expiresAt / 1000)), ("iat", .int(record.createdAt / 1000)),
        ]), headers: ["Cache-Control": "no-store"])
    }
}
