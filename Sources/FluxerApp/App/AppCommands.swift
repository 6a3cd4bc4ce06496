import FluxerAPI
import FluxerCrypto
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth app create`: an application with its bot, straight on the database, printing the one-time
/// secrets as JSON.
public enum AppCommands {
    /// Creates an application owned by `owner`; prints `{id, client_id, client_secret, bot_id, bot_token, …}`.
    /// Ids are minted under `snowflakes` or, when nil, under a worker id leased for this call.
    public static func create(config: Config, owner: String, name: String, redirectURIs: [String], botPublic: Bool,
                              publicClient: Bool = false, snowflakes: (any SnowflakeSource)? = nil)
        throws(UserCommands.Failure) -> String {
        guard let ownerID = Snowflake.parse(owner) else { throw .invalid("owner: must be a user id (snowflake)") }
        let trimmed = name.trimmingASCIIWhitespace()
        var errors: [FieldError] = []
        if let e = ApplicationRoutes.validateName(trimmed) { errors.append(e) }
        errors += ApplicationRoutes.validateRedirectURIs(redirectURIs)
        if !errors.isEmpty { throw .invalid(errors.map { "\($0.path): \($0.message)" }.joined(separator: "; ")) }
        guard let secret = config.commandSecretKey() else {
            throw .startup(.config(ConfigError(key: "security.secret_key", reason: "required to sign bot tokens; set FLUXER_AUTH_SECRET_KEY or use --dev")))
        }
        CryptoRuntime.initialize()
        return try UserCommands.withMintingDatabase(config, snowflakes: snowflakes) { db, snowflakes throws(UserCommands.Failure) in
            do {
                let created = try db.write { conn -> ApplicationStore.Created in
                    guard let ownerUser = try UserStore.find(id: ownerID, in: conn), !ownerUser.isBot else {
                        throw UserCommands.Failure.invalid("owner: no such user")
                    }
                    // Signed with the key every server signs with now: the configured ones and `keys rotate`'s.
                    let now = Clock.wallMilliseconds()
                    let keys = try BotTokenKeys.Source(config: config, secret: secret).load(in: conn).signing(now: now)
                    return try ApplicationStore.create(
                        id: try snowflakes.next(), ownerID: ownerID, name: trimmed,
                        redirectURIs: redirectURIs, botPublic: botPublic, botRequireCodeGrant: false,
                        keys: keys, now: now, in: conn)
                }
                if publicClient {
                    try db.write { try ApplicationStore.markPublicClient(id: created.application.id, in: $0) }
                }
                let app = created.application
                return JSONValue.object([
                    ("id", .string(String(app.id))), ("client_id", .string(String(app.id))),
                    ("client_secret", publicClient ? .null : .string(created.clientSecret)), ("public_client", .bool(publicClient)),
                    ("name", .string(app.name)),
                    ("redirect_uris", .array(app.redirectURIs.map(JSONValue.string))), ("bot_public", .bool(app.botPublic)),
                    ("bot_id", .string(String(created.bot.id))), ("bot_username", .string(created.bot.username)),
                    ("bot_token", .string(created.botToken)),
                ]).serialized
            } catch let failure as UserCommands.Failure {
                throw failure
            } catch {
                throw .invalid("database: \(error)")
            }
        }
    }
}
