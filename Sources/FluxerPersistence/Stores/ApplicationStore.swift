import FoundationEssentials
import FluxerCrypto
import SQLite
import FluxerDomain
import FluxerJSON

/// SQL for applications and their bots; runs inside the caller's transaction.
package enum ApplicationStore: ApplicationStorage {
    package static func find(id: UInt64, in db: SQLTransaction) throws -> Application? {
        try db.queryOne("SELECT \(Application.columns) FROM applications WHERE id = ?", Int64(bitPattern: id)).map(Application.init(row:))
    }

    package static func list(ownerID: UInt64, in db: SQLTransaction) throws -> [Application] {
        try db.query("SELECT \(Application.columns) FROM applications WHERE owner_id = ? ORDER BY id", Int64(bitPattern: ownerID))
            .map(Application.init(row:))
    }

    /// Every application by ascending id, after `afterID` when given; at most `limit` (capped at 1,000).
    package static func list(afterID: UInt64?, limit: Int, in db: SQLTransaction) throws -> [Application] {
        try db.query("SELECT \(Application.columns) FROM applications WHERE id > ? ORDER BY id LIMIT ?",
                     afterID.map { Int64(bitPattern: $0) } ?? Int64.min, min(max(limit, 0), 1_000)).map(Application.init(row:))
    }

    /// How many applications a user owns.
    package static func count(ownerID: UInt64, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT count(*) AS n FROM applications WHERE owner_id = ?", Int64(bitPattern: ownerID))?.int("n") ?? 0
    }

    /// The id of the user's application called `name` (the seed command's idempotence).
    package static func id(ownerID: UInt64, name: String, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("SELECT id FROM applications WHERE owner_id = ? AND name = ?", Int64(bitPattern: ownerID), name)?
            .int("id").map { UInt64(bitPattern: $0) }
    }

    /// Makes the application a public client: no usable secret, PKCE required (RFC 7636, RFC 9700 §2.1.1).
    package static func markPublicClient(id: UInt64, in db: SQLTransaction) throws {
        try db.run("UPDATE applications SET public_client = TRUE WHERE id = ?", Int64(bitPattern: id))
    }

    package typealias Created = CreatedApplication

    /// Creates the bot user (same id) and the application, with a fresh client secret and bot token.
    package static func create(id: UInt64, ownerID: UInt64, name: String, redirectURIs: [String], botPublic: Bool,
                       botRequireCodeGrant: Bool, keys: BotTokenKeyRing, now: Int64, in db: SQLTransaction) throws -> Created {
        let bot = try UserStore.insert(.init(
            id: id, username: botUsername(from: name), globalName: nil, email: nil, isBot: true, createdAt: now), in: db)
        let secret = ClientSecret.generate()
        let token = BotToken.mint(botID: id, createdAt: now, keys: keys)
        try db.run("""
            INSERT INTO applications (id, owner_id, name, redirect_uris, bot_public, bot_require_code_grant, client_secret_hash,
                                      client_secret_created_at, bot_token_hash, bot_token_preview, bot_token_created_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, Int64(bitPattern: id), Int64(bitPattern: ownerID), name, Application.encodeRedirectURIs(redirectURIs), botPublic,
            botRequireCodeGrant, ClientSecret.hash(secret), now, BotToken.storageHash(token), BotToken.preview(token), now, now)
        return Created(application: try find(id: id, in: db)!, bot: bot, clientSecret: secret, botToken: token)
    }

    package static func update(_ app: Application, in db: SQLTransaction) throws {
        try db.run("""
            UPDATE applications SET name = ?, redirect_uris = ?, bot_public = ?, bot_require_code_grant = ? WHERE id = ?
            """, app.name, Application.encodeRedirectURIs(app.redirectURIs), app.botPublic, app.botRequireCodeGrant, Int64(bitPattern: app.id))
    }

    /// Deletes the bot user; the application row (and everything hanging off it) goes with it by cascade.
    package static func delete(id: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM users WHERE id = ? AND bot = TRUE", Int64(bitPattern: id))
    }

    /// Replaces the client secret; returns the new one.
    package static func resetClientSecret(id: UInt64, now: Int64, in db: SQLTransaction) throws -> String {
        let secret = ClientSecret.generate()
        try setClientSecret(id: id, secret: secret, now: now, in: db)
        return secret
    }

    /// Stores `secret` (its hash) as the client secret: a seed file's fixed secret, or a new one.
    package static func setClientSecret(id: UInt64, secret: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE applications SET client_secret_hash = ?, client_secret_created_at = ? WHERE id = ?",
                   ClientSecret.hash(secret), now, Int64(bitPattern: id))
    }

    /// Replaces the bot token (the old one stops matching the stored hash at commit); returns the new one.
    package static func resetBotToken(id: UInt64, keys: BotTokenKeyRing, now: Int64, in db: SQLTransaction) throws -> String {
        let token = BotToken.mint(botID: id, createdAt: now, keys: keys)
        try setBotToken(id: id, token: token, now: now, in: db)
        return token
    }

    /// Stores `token` (its hash and preview) as the bot token: a seed file's fixed token (already verified
    /// against the key ring), or a new one.
    package static func setBotToken(id: UInt64, token: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE applications SET bot_token_hash = ?, bot_token_preview = ?, bot_token_created_at = ? WHERE id = ?",
                   BotToken.storageHash(token), BotToken.preview(token), now, Int64(bitPattern: id))
    }

    /// The bot behind a verified token (`botID` from its signature): the stored hash must equal the token's
    /// SHA-256 (constant time).
    package static func botForToken(hash: [UInt8], botID: UInt64, in db: SQLTransaction) throws -> (Application, User)? {
        guard let app = try find(id: botID, in: db), let stored = app.botTokenHash,
              ConstantTime.equals(stored, hash),
              let bot = try UserStore.find(id: botID, in: db), bot.isBot
        else { return nil }
        return (app, bot)
    }

    /// A bot username from an application name: letters, digits and underscores, at most 32.
    package static func botUsername(from name: String) -> String {
        let derived = AccountValidation.derivedUsername(globalName: name, email: nil)
        return derived == "user" ? "bot" : derived
    }
}

/// How an application row is read: the select list and the mapping.
extension Application {
    package static let columns = "id, owner_id, name, description, icon, redirect_uris, bot_public, bot_require_code_grant, flags, client_secret_hash, bot_token_hash, created_at, public_client"

    package init(row: SQLRow) {
        self.init(id: UInt64(bitPattern: row.int("id") ?? 0),
                  ownerID: UInt64(bitPattern: row.int("owner_id") ?? 0),
                  name: row.string("name") ?? "",
                  description: row.string("description"),
                  icon: row.string("icon"),
                  redirectURIs: Self.redirectURIs(row.string("redirect_uris")),
                  botPublic: row.bool("bot_public") ?? true,
                  botRequireCodeGrant: row.bool("bot_require_code_grant") ?? false,
                  flags: row.int("flags") ?? 0,
                  clientSecretHash: row.blob("client_secret_hash") ?? [],
                  botTokenHash: row.blob("bot_token_hash"),
                  createdAt: row.int("created_at") ?? 0,
                  isPublicClient: row.bool("public_client") ?? false)
    }

    /// The stored redirect URIs: a JSON array of strings (as `create` and `update` write it); empty for anything
    /// else. Parsed with our own JSON reader: every client authentication at the token endpoint decodes this row
    /// inside the write transaction, where Foundation's `JSONDecoder` took about a sixth of the writer's time (perf, refresh bench).
    package static func redirectURIs(_ text: String?) -> [String] {
        guard let text, let value = try? JSONValue.parse(Array(text.utf8)) else { return [] }
        var uris: [String] = []
        for item in value.arrayItems {
            guard let uri = item.stringValue else { return [] }
            uris.append(uri)
        }
        return uris
    }
}
