import FoundationEssentials
import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// A seed file (`fluxer-auth seed F`, `serve --seed F`, and dev mode's `config/seed.dev.json`): users,
/// applications and guilds, optionally with fixed ids and fixed secrets so that a developer's configuration keeps
/// working across restarts, `POST /_dev/reset` and a deleted `./data`.
///
/// ```json
/// {"users": [{"id": "1000000000000000001", "email": "alice@example.com", "username": "alice", "discriminator": 1,
///             "password": "…", "global_name": "Alice", "verified": true, "session": true,
///             "totp_secret": "BASE32…", "phone": "+15555550100", "sms_mfa": true}],
///  "applications": [{"id": "1000000000000000101", "owner": "alice@example.com", "name": "Dev App",
///                    "redirect_uris": ["http://localhost:3000/callback"], "public": false, "public_client": false,
///                    "client_secret": "…43 base64url…", "bot_token": "<id>.<signed payload>"}],
///  "guilds": [{"id": "1000000000000000201", "owner": "alice@example.com", "name": "Dev Guild",
///              "members": [{"email": "bob@example.com", "permissions": "32"}]}]}
/// ```
///
/// Everything but `email`/`username`/`password` (users), `owner`/`name` (applications, guilds) and `email`
/// (members) is optional. Unknown keys are errors (a misspelt `pasword` must not pass silently). The whole file is
/// checked before anything is written, and refused whole, each problem named by its path (`users.2.email: …`).
/// Applying is idempotent: a user that exists (same id, or same email) is reported as `existing` and left alone,
/// as are an application or guild with the same id, or the same name under the same owner.
package struct Fixtures: Sendable {
    package struct UserFixture: Sendable {
        package var id: UInt64?
        package var email: String
        package var username: String
        package var discriminator: Int?
        package var password: String
        package var globalName: String?
        package var verified: Bool
        package var session: Bool
        package var totpSecret: [UInt8]?
        package var phone: String?
        package var smsMFA: Bool
    }

    package struct ApplicationFixture: Sendable {
        package var id: UInt64?
        package var owner: String
        package var name: String
        package var redirectURIs: [String]
        package var botPublic: Bool
        package var publicClient: Bool
        package var clientSecret: String?
        package var botToken: String?
    }

    package struct GuildFixture: Sendable {
        package var id: UInt64?
        package var owner: String
        package var name: String
        package var members: [(email: String, permissions: Int64)]
    }

    package var users: [UserFixture] = []
    package var applications: [ApplicationFixture] = []
    package var guilds: [GuildFixture] = []

    /// The file could not be used: every problem found, by path.
    package struct Invalid: Error, CustomStringConvertible, Equatable {
        package var problems: [String]
        package var description: String { problems.joined(separator: "; ") }
    }

    /// Largest seed file read (the dev fixtures are a few KiB).
    package static let maxBytes = 1 << 20
    /// Most entries per list.
    package static let maxEntries = 1_000

    // MARK: - Parsing and checking

    /// Parses and checks a seed file. `keys` is the bot-token key ring that fixed bot tokens must verify under;
    /// `blocklist` is the password policy's (`security.password_blocklist`).
    package static func parse(_ bytes: [UInt8], keys: BotTokenKeyRing, blocklist: Bool) throws(Invalid) -> Fixtures {
        guard bytes.count <= maxBytes else { throw Invalid(problems: ["root: the file is larger than \(maxBytes) bytes"]) }
        let tree: JSONValue
        do { tree = try JSONValue.parse(bytes) } catch {
            throw Invalid(problems: ["root: not valid JSON: \(error.reason) at byte \(error.offset)"])
        }
        if let unknown = KnownKeys.firstUnknown(in: tree) { throw Invalid(problems: [unknown]) }
        let file: FileJSON
        do {
            file = try JSONDecoder().decode(FileJSON.self, from: Data(bytes))
        } catch let error as DecodingError {
            let field = JSONBody.fieldError(error)
            throw Invalid(problems: ["\(field.path): \(field.message)"])
        } catch {
            throw Invalid(problems: ["root: not a seed file"])
        }
        var problems: [String] = []
        var fixtures = Fixtures()
        var ids = Set<UInt64>()
        func id(_ text: String?, _ path: String) -> UInt64? {
            guard let text else { return nil }
            guard let value = Snowflake.parse(text), value > 0 else {
                problems.append("\(path): must be a snowflake (a decimal id as a string)")
                return nil
            }
            if !ids.insert(value).inserted { problems.append("\(path): \(text) is used twice in the file") }
            return value
        }
        func check(_ error: FieldError?, _ prefix: String) {
            if let error { problems.append("\(prefix).\(error.path): \(error.message)") }
        }
        for list in [("users", file.users?.count ?? 0), ("applications", file.applications?.count ?? 0), ("guilds", file.guilds?.count ?? 0)]
        where list.1 > maxEntries {
            problems.append("\(list.0): at most \(maxEntries) entries")
        }

        var emails = Set<String>()
        for (i, user) in (file.users ?? []).enumerated() {
            let at = "users.\(i)"
            check(AccountValidation.email(user.email), at)
            check(AccountValidation.username(user.username), at)
            if let name = user.global_name { check(AccountValidation.globalName(name), at) }
            check(AccountValidation.newPassword(user.password, username: user.username, email: user.email, blocklist: blocklist), at)
            if !emails.insert(UserStore.emailKey(user.email)).inserted { problems.append("\(at).email: \(user.email) is used twice in the file") }
            if let d = user.discriminator, !(1...9999).contains(d) { problems.append("\(at).discriminator: must be 1 to 9999") }
            var secret: [UInt8]?
            if let text = user.totp_secret {
                secret = Base32.decode(text.uppercased())
                if secret == nil || !(16...64).contains(secret!.count) { problems.append("\(at).totp_secret: must be base32 of 16-64 bytes") }
            }
            if let phone = user.phone, !PhoneNumber.isValid(phone) { problems.append("\(at).phone: must be E.164 (+ and 7-15 digits)") }
            if user.sms_mfa == true && (user.phone == nil || user.totp_secret == nil) {
                problems.append("\(at).sms_mfa: needs phone and totp_secret (SMS is a second factor beside TOTP, as on Fluxer)")
            }
            fixtures.users.append(UserFixture(
                id: id(user.id, "\(at).id"), email: user.email, username: user.username, discriminator: user.discriminator,
                password: user.password, globalName: user.global_name, verified: user.verified ?? false, session: user.session ?? false,
                totpSecret: secret, phone: user.phone, smsMFA: user.sms_mfa ?? false))
        }

        for (i, app) in (file.applications ?? []).enumerated() {
            let at = "applications.\(i)"
            let name = app.name.trimmingASCIIWhitespace()
            check(ApplicationRoutes.validateName(name), at)
            for error in ApplicationRoutes.validateRedirectURIs(app.redirect_uris ?? []) { check(error, at) }
            check(AccountValidation.email(app.owner, path: "owner"), at)
            let appID = id(app.id, "\(at).id")
            if let secret = app.client_secret {
                if app.public_client == true {
                    problems.append("\(at).client_secret: a public client has no secret")
                } else if !OAuthSecret.isWellFormed(secret) {
                    problems.append("\(at).client_secret: must be 43 base64url characters (32 bytes), like the secrets this server makes")
                }
            }
            if let token = app.bot_token {
                if appID == nil {
                    problems.append("\(at).bot_token: a fixed bot token needs the application's fixed id")
                } else if let verified = BotToken.verify(Substring(token), keys: keys), verified.botID == appID {
                    // Signed by a key of this server for this very application.
                } else {
                    problems.append("\(at).bot_token: not a bot token of application \(app.id ?? "") signed by a key of this server")
                }
            }
            fixtures.applications.append(ApplicationFixture(
                id: appID, owner: app.owner, name: name, redirectURIs: app.redirect_uris ?? [], botPublic: app.public ?? false,
                publicClient: app.public_client ?? false, clientSecret: app.client_secret, botToken: app.bot_token))
        }

        for (i, guild) in (file.guilds ?? []).enumerated() {
            let at = "guilds.\(i)"
            let name = guild.name.trimmingASCIIWhitespace()
            if !(1...100).contains(AccountValidation.jsLength(name)) { problems.append("\(at).name: must be 1 to 100 characters") }
            check(AccountValidation.email(guild.owner, path: "owner"), at)
            var members: [(String, Int64)] = []
            for (j, member) in (guild.members ?? []).enumerated() {
                check(AccountValidation.email(member.email), "\(at).members.\(j)")
                let bits = member.permissions ?? "0"
                guard bits.utf8.count <= 20, let value = Int64(bits), value >= 0 else {
                    problems.append("\(at).members.\(j).permissions: must be a non-negative integer as a string")
                    continue
                }
                members.append((member.email, value))
            }
            fixtures.guilds.append(GuildFixture(id: id(guild.id, "\(at).id"), owner: guild.owner, name: name, members: members))
        }
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        return fixtures
    }

    // MARK: - Preparing (the slow part, outside any transaction)

    /// The fixtures with their passwords hashed (argon2id) and TOTP secrets sealed, ready to be written in one
    /// transaction as often as needed (`POST /_dev/reset` does not hash again).
    package struct Prepared: Sendable {
        package let fixtures: Fixtures
        package let passwordHashes: [String]
        package let sealedTOTP: [[UInt8]?]
        package let keys: BotTokenKeyRing
    }

    package func prepare(hasher: PasswordHasher, mfaKeys: MFAKeys, keys: BotTokenKeyRing) throws(Invalid) -> Prepared {
        var hashes: [String] = []
        for (i, user) in users.enumerated() {
            do { hashes.append(try hasher.hash(user.password)) } catch { throw Invalid(problems: ["users.\(i).password: cannot be hashed"]) }
        }
        return Prepared(fixtures: self, passwordHashes: hashes, sealedTOTP: users.map { $0.totpSecret.map(mfaKeys.totpBox.seal) }, keys: keys)
    }
}

extension Fixtures.Prepared {
    /// Writes what is missing, inside the caller's transaction; returns the summary JSON (ids; the secrets of
    /// what it created, once; session tokens asked for). Throws `Fixtures.Invalid` for references that do not
    /// resolve (an owner that is neither in the file nor in the database) or clashes with existing rows.
    package func apply(in db: SQLTransaction, snowflakes: any SnowflakeSource, now: Int64) throws -> JSONValue {
        var users: [JSONValue] = []
        var apps: [JSONValue] = []
        var guilds: [JSONValue] = []
        var userIDs: [String: UInt64] = [:]
        func userID(_ email: String, _ path: String) throws -> UInt64 {
            if let known = userIDs[UserStore.emailKey(email)] { return known }
            guard let user = try UserStore.find(email: email, in: db), !user.isBot else {
                throw Fixtures.Invalid(problems: ["\(path): \(email) is not a user of the file or the database"])
            }
            return user.id
        }

        for (i, user) in fixtures.users.enumerated() {
            let at = "users.\(i)"
            var existing = try UserStore.find(email: user.email, in: db)
            if existing == nil, let id = user.id, let other = try UserStore.find(id: id, in: db) {
                throw Fixtures.Invalid(problems: ["\(at).id: \(id) belongs to \(other.email ?? "a user without email") already"])
            }
            if let found = existing, let id = user.id, found.id != id {
                throw Fixtures.Invalid(problems: ["\(at).email: \(user.email) already belongs to user \(found.id), not \(id)"])
            }
            var entry: [(String, JSONValue)]
            if let found = existing {
                entry = [("email", .string(user.email)), ("id", .string(String(found.id))), ("existing", true)]
            } else {
                let id = try user.id ?? snowflakes.next()
                let created: User
                do {
                    created = try UserStore.insert(NewUser(
                        id: id, username: user.username, globalName: user.globalName, email: user.email, verified: user.verified,
                        passwordHash: passwordHashes[i], discriminator: user.discriminator, createdAt: now), in: db)
                } catch UserInsertError.discriminatorTaken {
                    throw Fixtures.Invalid(problems: ["\(at).discriminator: \(user.username)#\(user.discriminator ?? 0) is taken"])
                } catch UserInsertError.usernameExhausted {
                    throw Fixtures.Invalid(problems: ["\(at).username: too many users have this username"])
                }
                if let sealed = sealedTOTP[i] { _ = try MFAStore.enableTOTP(userID: id, sealedSecret: sealed, counter: 0, in: db) }
                if let phone = user.phone { try MFAStore.setPhone(userID: id, phone: phone, in: db) }
                if user.smsMFA { try MFAStore.setSMSMFA(userID: id, enabled: true, in: db) }
                existing = created
                entry = [("discriminator", .string(created.discriminatorText)), ("email", .string(user.email)),
                         ("id", .string(String(id))), ("username", .string(created.username)), ("verified", .bool(created.verified))]
                if user.totpSecret != nil { entry.append(("mfa", .array(["totp"] + (user.smsMFA ? ["sms"] : [])))) }
            }
            let id = existing!.id
            userIDs[UserStore.emailKey(user.email)] = id
            if user.session {
                let token = try SessionStore.create(userID: id, ip: nil, userAgent: "fluxer-auth seed", isDesktop: false, now: now, in: db)
                entry.append(("session_token", .string(token)))
            }
            users.append(.object(entry))
        }

        for (i, app) in fixtures.applications.enumerated() {
            let at = "applications.\(i)"
            let owner = try userID(app.owner, "\(at).owner")
            let byName = try ApplicationStore.id(ownerID: owner, name: app.name, in: db)
            if let id = app.id, try ApplicationStore.find(id: id, in: db) != nil || UserStore.find(id: id, in: db) != nil {
                guard byName == id else { throw Fixtures.Invalid(problems: ["\(at).id: \(id) is taken by another application or user"]) }
            }
            if let existing = byName {
                if let id = app.id, id != existing {
                    throw Fixtures.Invalid(problems: ["\(at).name: \(app.name) of \(app.owner) is application \(existing), not \(id)"])
                }
                apps.append(.object([("name", .string(app.name)), ("id", .string(String(existing))), ("existing", true)]))
                continue
            }
            let id = try app.id ?? snowflakes.next()
            let created = try ApplicationStore.create(id: id, ownerID: owner, name: app.name, redirectURIs: app.redirectURIs,
                                                      botPublic: app.botPublic, botRequireCodeGrant: false, keys: keys, now: now, in: db)
            var secret: String? = created.clientSecret
            if app.publicClient {
                try ApplicationStore.markPublicClient(id: id, in: db)
                secret = nil
            } else if let fixed = app.clientSecret {
                try ApplicationStore.setClientSecret(id: id, secret: fixed, now: now, in: db)
                secret = fixed
            }
            var token = created.botToken
            if let fixed = app.botToken {
                try ApplicationStore.setBotToken(id: id, token: fixed, now: now, in: db)
                token = fixed
            }
            apps.append(.object([
                ("bot_id", .string(String(created.bot.id))), ("bot_token", .string(token)), ("client_id", .string(String(id))),
                ("client_secret", secret.map(JSONValue.string) ?? .null), ("id", .string(String(id))), ("name", .string(app.name)),
                ("public_client", .bool(app.publicClient)), ("redirect_uris", .array(app.redirectURIs.map(JSONValue.string))),
            ]))
        }

        for (i, guild) in fixtures.guilds.enumerated() {
            let at = "guilds.\(i)"
            let owner = try userID(guild.owner, "\(at).owner")
            var guildID = try GuildStore.id(ownerID: owner, name: guild.name, in: db)
            let existed = guildID != nil
            if let fixed = guild.id, guildID != fixed {
                if let found = guildID {
                    throw Fixtures.Invalid(problems: ["\(at).name: \(guild.name) of \(guild.owner) is guild \(found), not \(fixed)"])
                }
                if try GuildStore.find(id: fixed, in: db) != nil { throw Fixtures.Invalid(problems: ["\(at).id: \(fixed) is another guild"]) }
            }
            if guildID == nil {
                let id = try guild.id ?? snowflakes.next()
                _ = try GuildStore.create(id: id, name: guild.name, ownerID: owner, now: now, in: db)
                guildID = id
            }
            for (j, member) in guild.members.enumerated() {
                let memberID = try userID(member.email, "\(at).members.\(j).email")
                if try !GuildStore.isMember(guildID: guildID!, userID: memberID, in: db) {
                    try GuildStore.addMember(guildID: guildID!, userID: memberID, permissions: member.permissions, source: "seed", now: now, in: db)
                }
            }
            guilds.append(.object([("name", .string(guild.name)), ("id", .string(String(guildID!))), ("existing", .bool(existed))]))
        }
        return .object([("users", .array(users)), ("applications", .array(apps)), ("guilds", .array(guilds))])
    }
}

// MARK: - The file's JSON

/// Every key the file may use, by kind of entry: anything else is refused with its path (a misspelt `pasword`
/// must not pass silently), before the entries are decoded.
private enum KnownKeys {
    static let file: Set<String> = ["users", "applications", "guilds"]
    static let user: Set<String> = ["id", "email", "username", "discriminator", "password", "global_name", "verified", "session",
                                    "totp_secret", "phone", "sms_mfa"]
    static let application: Set<String> = ["id", "owner", "name", "redirect_uris", "public", "public_client", "client_secret", "bot_token"]
    static let guild: Set<String> = ["id", "owner", "name", "members"]
    static let member: Set<String> = ["email", "permissions"]

    /// The first unknown key, as `users.2.pasword: unknown key (known: …)`.
    static func firstUnknown(in file: JSONValue) -> String? {
        func check(_ value: JSONValue?, _ known: Set<String>, _ path: String) -> String? {
            guard case .object(let members)? = value else { return nil }
            for (key, _) in members where !known.contains(key) {
                let at = path.isEmpty ? key : "\(path).\(key)"
                return "\(at): unknown key (known: \(known.sorted().joined(separator: ", ")))"
            }
            return nil
        }
        func each(_ list: JSONValue?, _ path: String, _ body: (JSONValue, String) -> String?) -> String? {
            guard case .array(let items)? = list else { return nil }
            for (i, item) in items.enumerated() { if let problem = body(item, "\(path).\(i)") { return problem } }
            return nil
        }
        if let problem = check(file, Self.file, "") { return problem }
        return each(file["users"], "users") { check($0, user, $1) }
            ?? each(file["applications"], "applications") { check($0, application, $1) }
            ?? each(file["guilds"], "guilds") { guild, at in
                check(guild, Self.guild, at) ?? each(guild["members"], "\(at).members") { check($0, member, $1) }
            }
    }
}

private struct FileJSON: Decodable {
    var users: [UserJSON]?
    var applications: [ApplicationJSON]?
    var guilds: [GuildJSON]?
}

private struct UserJSON: Decodable {
    var id: String?
    var email: String
    var username: String
    var discriminator: Int?
    var password: String
    var global_name: String?
    var verified: Bool?
    var session: Bool?
    var totp_secret: String?
    var phone: String?
    var sms_mfa: Bool?
}

private struct ApplicationJSON: Decodable {
    var id: String?
    var owner: String
    var name: String
    var redirect_uris: [String]?
    var `public`: Bool?
    var public_client: Bool?
    var client_secret: String?
    var bot_token: String?
}

private struct MemberJSON: Decodable {
    var email: String
    var permissions: String?
}

private struct GuildJSON: Decodable {
    var id: String?
    var owner: String
    var name: String
    var members: [MemberJSON]?
}
