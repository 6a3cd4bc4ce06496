import FluxerCrypto
import HTTPServer
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// The grant logic of the OAuth2 provider: approving an authorization request, and the token endpoint's two
/// grants. Each runs in one write transaction so single use holds under concurrency.
package struct OAuthGrants {
    /// The write path and the clock: grants mint tokens, never sessions.
    package let accounts: any AccountsCore
    package var context: AppContext { accounts.context }

    package enum Approval {
        /// Send the browser here (code or error).
        case redirect(String)
        /// A bot-only request without redirect: the bot was added.
        case botAdded(guild: String)
    }

    // MARK: - Authorization

    /// The user approved: bot rules, guild join, consent record, code. Throws `APIError` for the user-facing
    /// refusals (private bot, missing permissions, bot already in guild).
    package func approve(_ request: AuthorizeRequest, user: User, request http: HTTPRequest? = nil) throws -> Approval {
        let app = request.application
        var guildName: String?
        let code = OAuthSecret.generate()
        try accounts.write { db, invalidations in
            if request.scopes.contains(.bot) {
                // Private bots only by their owner (real server: 403 ACCESS_DENIED).
                guard app.botPublic || app.ownerID == user.id else { throw APIError.accessDenied }
                if let guildID = request.guildID {
                    guard let guild = try GuildStore.find(id: guildID, in: db), try GuildStore.canManage(guild: guild, userID: user.id, in: db) else {
                        throw APIError(.forbidden, code: "MISSING_PERMISSIONS", message: "You need Manage Server in that community.")
                    }
                    guard try GuildStore.permissions(guildID: guildID, userID: app.id, in: db) == nil else {
                        throw APIError(.badRequest, code: "BOT_ALREADY_IN_GUILD", message: "The bot is already in that community.")
                    }
                    // The bot gets what was asked for, masked by what the inviter holds (owner or ADMINISTRATOR: all).
                    let granted = request.permissions & (try GuildStore.grantablePermissions(guild: guild, userID: user.id, in: db))
                    try GuildStore.addMember(guildID: guildID, userID: app.id, permissions: granted, source: "BOT_INVITE",
                                             now: accounts.now, in: db)
                    guildName = guild.name
                }
            }
            try OAuthStore.recordAuthorization(applicationID: app.id, userID: user.id, scopes: request.scopes, now: accounts.now, in: db)
            if request.redirectURI != nil {
                try OAuthStore.insertCode(code, applicationID: app.id, userID: user.id, redirectURI: request.redirectURI!,
                                          redirectGiven: request.redirectGiven, scopes: request.scopes,
                                          challenge: request.codeChallenge, now: accounts.now, in: db)
                invalidations.tokens.issued(.oauthCode)
            }
        }
        accounts.audit.record("oauth.grant", outcome: "success", userID: user.id, applicationID: app.id, request: http,
                              detail: OAuthScope.string(request.scopes))
        guard let redirect = request.redirectURI else { return .botAdded(guild: guildName ?? "") }
        return .redirect(AuthorizeRequest.redirectURL(redirect, [("code", code), ("state", request.state), ("iss", context.config.effectivePublicURL)]))
    }

    /// Whether an earlier consent covers the request (for `prompt=none`); bot joins always need the page.
    package func priorConsentCovers(_ request: AuthorizeRequest, user: User) throws -> Bool {
        guard !request.scopes.contains(.bot) else { return false }
        let granted = try context.database.read { try OAuthStore.authorization(applicationID: request.application.id, userID: user.id, in: $0) }
        guard let granted else { return false }
        return request.scopes.allSatisfy(granted.contains)
    }

    // MARK: - Token endpoint

    /// RFC 6749 §4.1.3 with RFC 7636 §4.6 and RFC 9700 §4.8.2 (PKCE downgrade). The client is verified inside
    /// the grant's write transaction (one transaction per request); its refusal comes first and changes nothing.
    package func redeemCode(_ form: OAuthForm, client credentials: ClientAuthentication.Credentials, request: HTTPRequest? = nil) throws -> IssuedTokens {
        let now = accounts.now
        // A replayed code revokes what its first redemption issued (RFC 6749 §4.1.2, AC-01); that revocation
        // must commit even though this request fails, so the outcome is decided inside and thrown after.
        enum Outcome { case issued(IssuedTokens), refused(OAuthError) }
        let outcome = try accounts.write { db, invalidations -> Outcome in
            let client = try ClientAuthentication.verify(credentials, in: db)
            guard let code = form["code"] else { throw OAuthError.invalidRequest("code is required.") }
            let verifier = form["code_verifier"]
            if let verifier, !Self.isValidVerifier(verifier) {
                throw OAuthError.invalidGrant("code_verifier must be 43-128 characters of [A-Za-z0-9-._~].")
            }
            guard OAuthSecret.isWellFormed(code), let stored = try OAuthStore.findCode(code, in: db) else { return .refused(.invalidGrant()) }
            let appID = stored.applicationID
            let userID = stored.userID
            if stored.usedAt != nil {
                if let family = stored.familyID {
                    if let user = try OAuthStore.revokeFamily(family, reason: "code_replay", now: now, in: db) { invalidations.users.append(user) }
                    invalidations.tokens.revoked(.oauthGrant)
                }
                accounts.audit.record("oauth.code_replay", outcome: "refused", userID: userID, applicationID: appID, request: request,
                                      detail: "grant_revoked")
                return .refused(.invalidGrant("The authorization code has already been used."))
            }
            // From here on the code is burned whatever happens (PK-04: no retry with another verifier).
            guard try OAuthStore.markCodeUsed(code, familyID: nil, now: now, in: db) else { return .refused(.invalidGrant()) }
            guard appID == client.id else { return .refused(.invalidGrant()) }
            guard stored.expiresAt > now else { return .refused(.invalidGrant("The authorization code has expired.")) }
            let storedRedirect = stored.redirectURI
            if stored.redirectGiven || form["redirect_uri"] != nil {
                guard form["redirect_uri"] == storedRedirect else { return .refused(.invalidGrant("redirect_uri does not match the authorization request.")) }
            }
            if let challenge = stored.codeChallenge {
                guard let verifier else { return .refused(.invalidGrant("code_verifier is required.")) }
                let computed = Base64URL.encode(SHA256.hash(Array(verifier.utf8)))
                guard ConstantTime.equals(computed, challenge) else { return .refused(.invalidGrant("code_verifier does not match.")) }
            } else if verifier != nil {
                return .refused(.invalidGrant("code_verifier was sent but the authorization request had no code_challenge."))
            }
            guard let user = try UserStore.find(id: userID, in: db) else { return .refused(.invalidGrant()) }
            let scopes = stored.scopes
            let familyID = Int64(bitPattern: try context.snowflakes.next())
            try OAuthStore.createFamily(id: familyID, applicationID: appID, userID: user.id, scopes: scopes, now: now, in: db)
            try OAuthStore.attachFamily(familyID, toCode: code, in: db)
            invalidations.tokens.issued(.oauthGrant)
            invalidations.tokens.issued(.oauthAccess)
            invalidations.tokens.issued(.oauthRefresh)
            return .issued(try OAuthStore.issue(familyID: familyID, applicationID: appID, userID: user.id, scopes: scopes,
                                                grantEndsAt: now + context.config.oauthGrantLifetimeMilliseconds, now: now, in: db))
        }
        switch outcome {
        case .issued(let tokens): return tokens
        case .refused(let error): throw error
        }
    }

    /// RFC 6749 §6 with single-use rotation and reuse detection (RFC 9700 §4.14.2).
    /// The client is verified inside the write transaction, as for `redeemCode`.
    package func refresh(_ form: OAuthForm, client credentials: ClientAuthentication.Credentials, request: HTTPRequest? = nil) throws -> IssuedTokens {
        let now = accounts.now
        enum Outcome { case issued(IssuedTokens), refused(OAuthError) }
        let outcome = try accounts.write { db, invalidations -> Outcome in
            let client = try ClientAuthentication.verify(credentials, in: db)
            guard let token = form["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required.") }
            var narrowed: [OAuthScope]?
            if let scopeText = form["scope"] {
                guard let scopes = OAuthScope.parse(scopeText) else { throw OAuthError.invalidScope("The requested scope is invalid or unknown.") }
                narrowed = scopes
            }
            guard let record = try OAuthStore.findToken(token, in: db), record.kind == "refresh" else { return .refused(.invalidGrant()) }
            // Another client's token is refused and left alone (RT-04).
            guard record.applicationID == client.id else { return .refused(.invalidGrant()) }
            guard !record.familyRevoked, record.expiresAt > now else { return .refused(.invalidGrant()) }
            // RT-06: the grant has an absolute end however often it is refreshed; refused without rotating.
            let grantEndsAt = record.familyCreatedAt + context.config.oauthGrantLifetimeMilliseconds
            guard now < grantEndsAt else { return .refused(.invalidGrant("The grant has reached its maximum lifetime; authorize again.")) }
            let scopes = narrowed ?? record.scopes
            // A refused widening must not consume the token (RFC 6749 §6, RT-05): checked before rotation,
            // but after reuse detection would have fired for an already-rotated token.
            if record.usedAt == nil, !scopes.allSatisfy(record.scopes.contains) {
                return .refused(.invalidScope("A refresh cannot widen the scope."))
            }
            let rotated = record.usedAt == nil ? try OAuthStore.markRefreshUsed(record.hash, now: now, in: db) : false
            if !rotated {
                // Reuse of a rotated token: revoke the whole grant (RT-02, RT-03).
                try OAuthStore.revokeFamily(record.familyID, reason: "refresh_reuse", now: now, in: db)
                invalidations.users.append(record.userID)
                invalidations.tokens.revoked(.oauthGrant)
                accounts.audit.record("oauth.refresh_reuse", outcome: "refused", userID: record.userID, applicationID: client.id,
                                      request: request, detail: "grant_revoked")
                return .refused(.invalidGrant("The refresh token has already been used; the grant is revoked."))
            }
            // The access tokens of the previous step are superseded: exactly they leave the caches (this node's and,
            // through the invalidation log or NOTIFY, every other's). The user's other credentials (sessions, other
            // grants) stay cached: forgetting the whole user at each rotation sent every one of them back to the
            // database, on every node, as often as any of the user's clients refreshed.
            invalidations.credentials += try OAuthStore.deleteAccessTokens(familyID: record.familyID, in: db)
            invalidations.tokens.issued(.oauthAccess)
            invalidations.tokens.issued(.oauthRefresh)
            return .issued(try OAuthStore.issue(familyID: record.familyID, applicationID: client.id, userID: record.userID,
                                                scopes: scopes, grantEndsAt: grantEndsAt, now: now, in: db))
        }
        switch outcome {
        case .issued(let tokens): return tokens
        case .refused(let error): throw error
        }
    }

    /// RFC 7636 §4.1: 43–128 characters of unreserved.
    package static func isValidVerifier(_ v: String) -> Bool {
        (43...128).contains(v.utf8.count) && v.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || $0 == 0x7E
        }
    }

    /// The token response (RFC 6749 §5.1), `no-store`.
    package static func tokenResponse(_ tokens: IssuedTokens) -> HTTPResponse {
        .json(.ok, JSONValue.object([
            ("access_token", .string(tokens.accessToken)), ("token_type", "Bearer"), ("expires_in", .int(tokens.accessExpiresIn)),
            ("refresh_token", .string(tokens.refreshToken)), ("scope", .string(OAuthScope.string(tokens.scopes))),
        ]), headers: ["Cache-Control": "no-store", "Pragma": "no-cache"])
    }
}
