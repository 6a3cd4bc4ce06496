import HTTPServer
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `/oauth2/applications*` (owner's session; bots get 403 `ACCESS_DENIED`) and `/applications/@me` (bot token).
package enum ApplicationRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = CallerResolving & SudoChecking

    package static let maxApplicationsPerOwner = 100
    package static let nameLength = 1...100
    package static let maxRedirectURIs = 10
    package static let maxRedirectURIBytes = 2048

    package static func register(on router: inout Router, accounts: any ApplicationRoutes.Services, keys: BotTokenKeys) {
        // Before `/oauth2/applications/:id`: the router takes the first match, so registered later this
        // literal path would be captured as id "@me".
        router.api(.GET, "/applications/@me") { request in try applicationMe(request, accounts) }
        router.api(.GET, "/oauth2/applications/@me") { request in try applicationsOfCaller(request, accounts) }
        router.api(.POST, "/oauth2/applications") { request in try create(request, accounts, keys) }
        router.api(.GET, "/oauth2/applications") { request in try list(request, accounts) }
        router.api(.GET, "/oauth2/applications/:id") { request in
            let (app, bot, _) = try owned(request, accounts)
            return .json(.ok, app.json(bot: bot))
        }
        router.addDeferred(.PATCH, "/oauth2/applications/:id") { request, writer in update(request, writer, accounts) }
        router.addDeferred(.DELETE, "/oauth2/applications/:id") { request, writer in delete(request, writer, accounts) }
        router.api(.GET, "/oauth2/applications/:id/public") { request in try publicInfo(request, accounts) }
        router.addDeferred(.POST, "/oauth2/applications/:id/client-secret/reset") { request, writer in
            resetClientSecret(request, writer, accounts)
        }
        router.addDeferred(.POST, "/oauth2/applications/:id/bot/reset-token") { request, writer in
            resetBotToken(request, writer, accounts, keys)
        }
        router.api(.PATCH, "/oauth2/applications/:id/bot") { request in try updateBotProfile(request, accounts) }
    }

    package static let unknownApplication = APIError(.notFound, code: "UNKNOWN_APPLICATION", message: "Unknown application.")

    /// The application named by `:id`, its bot and the caller, when the caller owns it (404 unknown, 403 not owner).
    package static func owned(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> (Application, User, Principal) {
        let principal = try accounts.requireUser(request, allowBots: false)
        guard let id = request.parameters["id"].flatMap(Snowflake.parse) else { throw unknownApplication }
        let found = try accounts.context.database.read { db -> (Application, User)? in
            guard let app = try ApplicationStore.find(id: id, in: db), let bot = try UserStore.find(id: id, in: db) else { return nil }
            return (app, bot)
        }
        guard let (app, bot) = found else { throw unknownApplication }
        guard app.ownerID == principal.user.id else { throw APIError.accessDenied }
        return (app, bot, principal)
    }

    // MARK: - Create, list, update

    package struct CreateBody: Decodable {
        package var name: String
        package var redirect_uris: [String]?
        @NonNull package var bot_public: Bool?
        @NonNull package var bot_require_code_grant: Bool?
    }

    package static func create(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services, _ keys: BotTokenKeys) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        let body = try JSONBody.decode(CreateBody.self, from: request)
        let name = body.name.trimmingASCIIWhitespace()
        var errors: [FieldError] = []
        if let e = validateName(name) { errors.append(e) }
        errors += validateRedirectURIs(body.redirect_uris ?? [])
        guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }
        guard principal.user.passwordHash != nil else {
            throw APIError(.forbidden, code: "UNCLAIMED_ACCOUNT_CANNOT_CREATE_APPLICATIONS", message: "Claim your account before creating applications.")
        }
        let created = try accounts.write { db, invalidations -> ApplicationStore.Created in
            let count = try ApplicationStore.count(ownerID: principal.user.id, in: db)
            guard count < maxApplicationsPerOwner else {
                throw APIError.invalidField("name", "You have reached the maximum number of applications.", code: "MAX_APPLICATIONS_REACHED")
            }
            invalidations.tokens.issued(.bot)
            return try ApplicationStore.create(
                id: accounts.context.snowflakes.next(), ownerID: principal.user.id, name: name, redirectURIs: body.redirect_uris ?? [],
                botPublic: body.bot_public ?? true, botRequireCodeGrant: body.bot_require_code_grant ?? false, keys: keys.signing(now: accounts.now),
                now: accounts.now, in: db)
        }
        accounts.audit.record("app.create", outcome: "success", userID: principal.user.id, applicationID: created.application.id, request: request)
        return .json(.ok, created.application.json(bot: created.bot, clientSecret: created.clientSecret, botToken: created.botToken))
    }

    package static func list(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> HTTPResponse {
        let principal = try accounts.requireUser(request, allowBots: false)
        let items = try accounts.context.database.read { db -> [JSONValue] in
            try ApplicationStore.list(ownerID: principal.user.id, in: db).compactMap { app in
                try UserStore.find(id: app.id, in: db).map { app.json(bot: $0) }
            }
        }
        return .json(.ok, JSONValue.array(items))
    }

    package struct UpdateBody: Decodable {
        @NonNull package var name: String?
        package var redirect_uris: [String]?
        @NonNull package var bot_public: Bool?
        @NonNull package var bot_require_code_grant: Bool?
    }

    /// Changing where codes are sent is as sensitive as resetting the secret that redeems them: a PATCH whose
    /// `redirect_uris` differ from the registered ones needs sudo (the proof in the same body), and without it
    /// nothing of the PATCH is applied. The other fields change without sudo.
    package static func update(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any ApplicationRoutes.Services) {
        writer.respondAsync { reply in
            let (app, bot, principal) = try owned(request, accounts)
            let body = try JSONBody.decode(UpdateBody.self, from: request)
            var updated = app
            var errors: [FieldError] = []
            if let name = body.name {
                let trimmed = name.trimmingASCIIWhitespace()
                if let e = validateName(trimmed) { errors.append(e) }
                updated.name = trimmed
            }
            if let uris = body.redirect_uris {
                errors += validateRedirectURIs(uris)
                updated.redirectURIs = uris
            }
            guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }
            if let v = body.bot_public { updated.botPublic = v }
            if let v = body.bot_require_code_grant { updated.botRequireCodeGrant = v }
            let changesRedirects = updated.redirectURIs != app.redirectURIs
            let final = updated
            let save: @Sendable () throws -> HTTPResponse = {
                try accounts.write { db, _ in try ApplicationStore.update(final, in: db) }
                if changesRedirects {
                    accounts.audit.record("app.redirect_uris.update", outcome: "success", userID: principal.user.id, applicationID: app.id,
                                          request: request)
                }
                return .json(.ok, final.json(bot: bot))
            }
            guard changesRedirects else { return reply(try save()) }
            _ = try SudoProof.from(request)
            try accounts.requireSudo(principal, request: request, reply: reply, then: save)
        }
    }

    package static func publicInfo(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> HTTPResponse {
        guard let id = request.parameters["id"].flatMap(Snowflake.parse) else { throw unknownApplication }
        let found = try accounts.context.database.read { db -> (Application, User?)? in
            guard let app = try ApplicationStore.find(id: id, in: db) else { return nil }
            return (app, try UserStore.find(id: id, in: db))
        }
        guard let (app, bot) = found else { throw unknownApplication }
        return .json(.ok, app.publicJSON(bot: bot, scopes: OAuthScope.offered.map(\.rawValue)))
    }

    // MARK: - Sudo operations

    package static func delete(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any ApplicationRoutes.Services) {
        writer.respondAsync { reply in
            let (app, _, principal) = try owned(request, accounts)
            try accounts.requireSudo(principal, request: request, reply: reply) {
                try accounts.write { db, invalidations in
                    try ApplicationStore.delete(id: app.id, in: db)
                    invalidations.users.append(app.id)
                    invalidations.tokens.revoked(.bot)
                }
                accounts.audit.record("app.delete", outcome: "success", userID: principal.user.id, applicationID: app.id, request: request)
                return .noContent
            }
        }
    }

    package static func resetClientSecret(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any ApplicationRoutes.Services) {
        writer.respondAsync { reply in
            let (app, bot, principal) = try owned(request, accounts)
            _ = try SudoProof.from(request)
            try rotateLimit(principal, accounts)
            try accounts.requireSudo(principal, request: request, reply: reply) {
                let secret = try accounts.write { db, _ in
                    try ApplicationStore.resetClientSecret(id: app.id, now: accounts.now, in: db)
                }
                accounts.audit.record("client_secret.reset", outcome: "success", userID: principal.user.id, applicationID: app.id, request: request)
                return .json(.ok, app.json(bot: bot, clientSecret: secret))
            }
        }
    }

    package static func resetBotToken(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any ApplicationRoutes.Services, _ keys: BotTokenKeys) {
        writer.respondAsync { reply in
            let (app, bot, principal) = try owned(request, accounts)
            _ = try SudoProof.from(request)
            try rotateLimit(principal, accounts)
            try accounts.requireSudo(principal, request: request, reply: reply) {
                // The old token's cached principal dies with the commit (invalidation by bot user id).
                let token = try accounts.write { db, invalidations in
                    invalidations.users.append(app.id)
                    invalidations.tokens.revoked(.bot)
                    invalidations.tokens.issued(.bot)
                    return try ApplicationStore.resetBotToken(id: app.id, keys: keys.signing(now: accounts.now), now: accounts.now, in: db)
                }
                accounts.audit.record("token.reset", outcome: "success", userID: principal.user.id, applicationID: app.id, request: request)
                return .json(.ok, JSONValue.object([("token", .string(token)), ("bot", Application.botJSON(bot))]))
            }
        }
    }

    /// Secret and token rotation: 10 per hour per user, as the real server's rotate routes.
    package static func rotateLimit(_ principal: Principal, _ accounts: any ApplicationRoutes.Services) throws {
        try accounts.write { db, _ in
            try accounts.throttle([("rotate:user:\(principal.user.id)", accounts.context.config.rotateLimit)], in: db)
        }
    }

    // MARK: - Bot

    /// `GET /applications/@me`: bot tokens only (the `Bot` prefix case-insensitive here, as the real server);
    /// anything else is 401 `INVALID_TOKEN`.
    package static func applicationMe(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> HTTPResponse {
        guard let (app, bot) = try botApplication(request, accounts) else {
            throw APIError(.unauthorized, code: "INVALID_TOKEN", message: "Invalid token.")
        }
        return .json(.ok, app.meJSON(bot: bot))
    }

    /// `GET /oauth2/applications/@me` (Fluxer's document: `ApplicationListResponse`, bot or session token): a
    /// session's owner gets their applications, as `GET /oauth2/applications`; a bot its own, as a one-item list.
    package static func applicationsOfCaller(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> HTTPResponse {
        if let (app, bot) = try botApplication(request, accounts) { return .json(.ok, JSONValue.array([app.json(bot: bot)])) }
        return try list(request, accounts)
    }

    /// The calling bot's application and user; nil when the caller is not a bot.
    static func botApplication(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> (Application, User)? {
        var caller = try accounts.caller(request)
        // The one place a `bot`/`BOT` prefix counts: the filters, like every other route, saw no credential.
        if case .anonymous = caller, let header = request.headers["Authorization"], header.utf8.count > 4,
           header.prefix(4).lowercased() == "bot " {
            caller = try accounts.authenticator.resolve(accounts.authenticator.identify(.bot(header.dropFirst(4))))
        }
        guard let principal = caller.principal, case .bot(let applicationID) = principal.kind,
              let app = try accounts.context.database.read({ try ApplicationStore.find(id: applicationID, in: $0) })
        else { return nil }
        return (app, principal.user)
    }

    // MARK: - Validation

    package static func validateName(_ name: String) -> FieldError? {
        guard nameLength.contains(AccountValidation.jsLength(name)) else {
            return FieldError(path: "name", message: "Name must be between 1 and 100 characters.", code: "STRING_LENGTH_INVALID")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return FieldError(path: "name", message: "Name contains invalid characters.", code: "INVALID_FORMAT")
        }
        return nil
    }

    package static func validateRedirectURIs(_ uris: [String]) -> [FieldError] {
        guard uris.count <= maxRedirectURIs else {
            return [FieldError(path: "redirect_uris", message: "At most \(maxRedirectURIs) redirect URIs.", code: "INVALID_FORMAT")]
        }
        return uris.enumerated().compactMap { i, uri in
            RedirectURI.isAllowedForRegistration(uri)
                ? nil
                : FieldError(path: "redirect_uris.\(i)", message: "Redirect URIs must be absolute https URLs (http only for localhost), without a fragment.", code: "INVALID_URL_FORMAT")
        }
    }
}

/// Snowflake ids as they appear in paths and JSON: decimal, no sign, no leading zero.
package enum Snowflake {
    package static func parse(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text.first != "0" || text == "0" else { return nil }
        return UInt64(text)
    }
}
