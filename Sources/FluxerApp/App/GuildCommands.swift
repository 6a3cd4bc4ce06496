import FluxerAPI
import FluxerCrypto
import SQLite
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth guild …`: seed the small guild model the bot scope uses.
public enum GuildCommands {
    /// Creates a guild owned by `owner`; prints `{id, name, owner_id}`.
    /// Ids are minted under `snowflakes` or, when nil, under a worker id leased for this call.
    public static func create(config: Config, owner: String, name: String,
                              snowflakes: (any SnowflakeSource)? = nil) throws(UserCommands.Failure) -> String {
        guard let ownerID = Snowflake.parse(owner) else { throw .invalid("owner: must be a user id (snowflake)") }
        let trimmed = name.trimmingASCIIWhitespace()
        guard (1...100).contains(trimmed.count) else { throw .invalid("name: must be 1-100 characters") }
        return try UserCommands.withMintingDatabase(config, snowflakes: snowflakes) { db, snowflakes throws(UserCommands.Failure) in
            do {
                let guild = try db.write { conn -> Guild in
                    guard try UserStore.find(id: ownerID, in: conn) != nil else { throw UserCommands.Failure.invalid("owner: no such user") }
                    return try GuildStore.create(id: try snowflakes.next(), name: trimmed,
                                                 ownerID: ownerID, now: Clock.wallMilliseconds(), in: conn)
                }
                return JSONValue.object([("id", .string(String(guild.id))), ("name", .string(guild.name)),
                                         ("owner_id", .string(String(guild.ownerID)))]).serialized
            } catch let failure as UserCommands.Failure {
                throw failure
            } catch {
                throw .invalid("database: \(error)")
            }
        }
    }

    /// Adds a member with permission bits; prints `{guild_id, user_id, permissions}`.
    public static func addMember(config: Config, guild: String, user: String, permissions: String) throws(UserCommands.Failure) -> String {
        guard let guildID = Snowflake.parse(guild) else { throw .invalid("guild: must be a guild id") }
        guard let userID = Snowflake.parse(user) else { throw .invalid("user: must be a user id") }
        guard permissions.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let bits = Int64(permissions) else {
            throw .invalid("permissions: must be a non-negative integer (e.g. 32 for MANAGE_GUILD)")
        }
        return try UserCommands.withDatabase(config) { db throws(UserCommands.Failure) in
            do {
                try db.write { conn in
                    guard try GuildStore.find(id: guildID, in: conn) != nil else { throw UserCommands.Failure.invalid("guild: no such guild") }
                    guard try UserStore.find(id: userID, in: conn) != nil else { throw UserCommands.Failure.invalid("user: no such user") }
                    guard try GuildStore.permissions(guildID: guildID, userID: userID, in: conn) == nil else {
                        throw UserCommands.Failure.invalid("user: already a member")
                    }
                    try GuildStore.addMember(guildID: guildID, userID: userID, permissions: bits & GuildPermission.all, source: "CLI",
                                             now: Clock.wallMilliseconds(), in: conn)
                }
                return JSONValue.object([("guild_id", .string(String(guildID))), ("user_id", .string(String(userID))),
                                         ("permissions", .string(String(bits & GuildPermission.all)))]).serialized
            } catch let failure as UserCommands.Failure {
                throw failure
            } catch {
                throw .invalid("database: \(error)")
            }
        }
    }
}
