import FluxerDomain
import FluxerAPI
import FluxerPersistence
#if canImport(Glibc)
import Glibc
#endif
import FluxerCrypto
import FoundationEssentials
import SQLite
import FluxerJSON

/// `fluxer-auth seed F` and `serve --seed F`: creates users, applications and guilds from a JSON file, for the
/// drop-in-mock use. Idempotent by natural key (user email, application or guild name per owner): what exists is
/// reported, not duplicated. Prints JSON with the ids, and the one-time secrets of what it created.
///
/// ```json
/// {"users": [{"email": "alice@example.com", "username": "alice", "password": "…", "verified": true, "session": true}],
///  "applications": [{"owner": "alice@example.com", "name": "My Bot", "redirect_uris": ["https://app.example/cb"],
///                    "public": false, "public_client": false}],
///  "guilds": [{"owner": "alice@example.com", "name": "Test Guild",
///              "members": [{"email": "bob@example.com", "permissions": "32"}]}]}
/// ```
public enum SeedCommand {
    struct File: Decodable {
        struct SeedUser: Decodable {
            var email: String
            var username: String
            var password: String
            var verified: Bool?
            var session: Bool?
        }
        struct SeedApplication: Decodable {
            var owner: String
            var name: String
            var redirect_uris: [String]?
            var `public`: Bool?
            var public_client: Bool?
        }
        struct SeedMember: Decodable {
            var email: String
            var permissions: String?
        }
        struct SeedGuild: Decodable {
            var owner: String
            var name: String
            var members: [SeedMember]?
        }
        var users: [SeedUser]?
        var applications: [SeedApplication]?
        var guilds: [SeedGuild]?
    }

    /// Applies the seed file at `path`; returns the JSON summary.
    public static func run(config: Config, path: String) throws(UserCommands.Failure) -> String {
        guard let data = FileManagerBytes.read(path) else { throw .invalid("seed: cannot read \(path)") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(data)) } catch {
            throw .invalid("seed: \(path) is not a valid seed file (\(String(describing: error).prefix(200)))")
        }
        // One worker id for the whole file, not one per created row.
        return try UserCommands.withLease(config) { snowflakes throws(UserCommands.Failure) in
            try apply(file, config: config, snowflakes: snowflakes)
        }
    }

    private static func apply(_ file: File, config: Config, snowflakes: any SnowflakeSource) throws(UserCommands.Failure) -> String {
        var users: [JSONValue] = []
        var apps: [JSONValue] = []
        var guilds: [JSONValue] = []
        for user in file.users ?? [] {
            let existing = try lookupUser(config, email: user.email)
            if let existing {
                users.append(.object([("email", .string(user.email)), ("id", .string(String(existing))), ("existing", true)]))
            } else {
                let created = try UserCommands.create(config: config, email: user.email, username: user.username,
                                                      password: user.password, verified: user.verified ?? false, snowflakes: snowflakes)
                users.append(try parse(created))
            }
            if user.session == true {
                let minted = try parse(try UserCommands.token(config: config, email: user.email))
                users[users.count - 1] = merge(users[users.count - 1], [("session_token", minted["token"] ?? .null)])
            }
        }
        for app in file.applications ?? [] {
            guard let ownerID = try lookupUser(config, email: app.owner) else { throw .invalid("seed: application owner \(app.owner) is not a user") }
            if let existing = try lookup(config, { try ApplicationStore.id(ownerID: ownerID, name: app.name, in: $0) }) {
                apps.append(.object([("name", .string(app.name)), ("id", .string(String(existing))), ("existing", true)]))
                continue
            }
            apps.append(try parse(try AppCommands.create(config: config, owner: String(ownerID), name: app.name,
                                                        redirectURIs: app.redirect_uris ?? [], botPublic: app.public ?? false,
                                                        publicClient: app.public_client ?? false, snowflakes: snowflakes)))
        }
        for guild in file.guilds ?? [] {
            guard let ownerID = try lookupUser(config, email: guild.owner) else { throw .invalid("seed: guild owner \(guild.owner) is not a user") }
            var guildID = try lookup(config) { try GuildStore.id(ownerID: ownerID, name: guild.name, in: $0) }
            let existed = guildID != nil
            if guildID == nil {
                let created = try parse(try GuildCommands.create(config: config, owner: String(ownerID), name: guild.name, snowflakes: snowflakes))
                if case .string(let id)? = created["id"] { guildID = UInt64(id) }
            }
            guard let id = guildID else { throw .invalid("seed: guild \(guild.name) could not be created") }
            for member in guild.members ?? [] {
                guard let memberID = try lookupUser(config, email: member.email) else { throw .invalid("seed: member \(member.email) is not a user") }
                if try !lookup(config, { try GuildStore.isMember(guildID: id, userID: memberID, in: $0) }) {
                    _ = try GuildCommands.addMember(config: config, guild: String(id), user: String(memberID), permissions: member.permissions ?? "0")
                }
            }
            guilds.append(.object([("name", .string(guild.name)), ("id", .string(String(id))), ("existing", .bool(existed))]))
        }
        return JSONValue.object([("users", .array(users)), ("applications", .array(apps)), ("guilds", .array(guilds))]).serialized
    }

    /// The flat JSON objects the other commands print: strings, booleans, string arrays and nulls.
    enum Flat: Decodable {
        case string(String), bool(Bool), strings([String]), null

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null } else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) } else { self = .strings(try c.decode([String].self)) }
        }

        var json: JSONValue {
            switch self {
            case .string(let s): .string(s)
            case .bool(let b): .bool(b)
            case .strings(let a): .array(a.map(JSONValue.string))
            case .null: .null
            }
        }
    }

    private static func parse(_ text: String) throws(UserCommands.Failure) -> JSONValue {
        guard let object = try? JSONDecoder().decode([String: Flat].self, from: Data(text.utf8)) else { throw .invalid("seed: internal output") }
        return .object(object.keys.sorted().map { ($0, object[$0]!.json) })
    }

    private static func merge(_ value: JSONValue, _ extra: [(String, JSONValue)]) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members + extra)
    }

    private static func lookupUser(_ config: Config, email: String) throws(UserCommands.Failure) -> UInt64? {
        try lookup(config) { try UserStore.id(email: email, in: $0) }
    }

    /// Runs one read on a freshly migrated database (the seed reads between commands that each open their own).
    private static func lookup<T>(_ config: Config, _ read: (SQLTransaction) throws -> T) throws(UserCommands.Failure) -> T {
        let database: DataStore
        do {
            _ = try MigrateCommand.run(config: config)
            database = try config.openDatabase()
        } catch {
            throw .startup(error)
        }
        defer { database.close() }
        do {
            return try database.read(read)
        } catch {
            throw .invalid("database: \(error)")
        }
    }
}

/// Reads a whole file (≤ 4 MiB) without Foundation's FileManager.
enum FileManagerBytes {
    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count <= 4 << 20 {
            let n = fread(&buf, 1, buf.count, file)
            out += buf[0..<n]
            if n < buf.count { return out }
        }
        return nil
    }
}
