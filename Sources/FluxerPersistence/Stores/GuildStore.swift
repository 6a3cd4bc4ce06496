import SQLite
import FluxerDomain

/// SQL for guilds and their members; runs inside the caller's transaction.
package enum GuildStore: GuildStorage {
    package static func create(id: UInt64, name: String, ownerID: UInt64, now: Int64, in db: SQLTransaction) throws -> Guild {
        try db.run("INSERT INTO guilds (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)",
                   Int64(bitPattern: id), name, Int64(bitPattern: ownerID), now)
        try addMember(guildID: id, userID: ownerID, permissions: GuildPermission.all, source: "OWNER", now: now, in: db)
        return Guild(id: id, name: name, icon: nil, ownerID: ownerID, createdAt: now)
    }

    package static func find(id: UInt64, in db: SQLTransaction) throws -> Guild? {
        try db.queryOne("SELECT id, name, icon, owner_id, created_at FROM guilds WHERE id = ?", Int64(bitPattern: id)).map(guild)
    }

    package static func addMember(guildID: UInt64, userID: UInt64, permissions: Int64, source: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO guild_members (guild_id, user_id, permissions, join_source, joined_at) VALUES (?, ?, ?, ?, ?)",
                   Int64(bitPattern: guildID), Int64(bitPattern: userID), permissions, source, now)
    }

    /// The id of the user's guild called `name` (the seed command's idempotence).
    package static func id(ownerID: UInt64, name: String, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("SELECT id FROM guilds WHERE owner_id = ? AND name = ?", Int64(bitPattern: ownerID), name)?
            .int("id").map { UInt64(bitPattern: $0) }
    }

    /// Whether the user is a member of the guild.
    package static func isMember(guildID: UInt64, userID: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT user_id AS id FROM guild_members WHERE guild_id = ? AND user_id = ?",
                        Int64(bitPattern: guildID), Int64(bitPattern: userID)) != nil
    }

    /// A member's permission bits, or nil when not a member.
    package static func permissions(guildID: UInt64, userID: UInt64, in db: SQLTransaction) throws -> Int64? {
        try db.queryOne("SELECT permissions FROM guild_members WHERE guild_id = ? AND user_id = ?",
                        Int64(bitPattern: guildID), Int64(bitPattern: userID))?.int("permissions")
    }

    /// Guilds a user is in, with their permissions there, by id.
    package static func memberships(userID: UInt64, in db: SQLTransaction) throws -> [(Guild, Int64)] {
        try db.query("""
            SELECT g.id, g.name, g.icon, g.owner_id, g.created_at, m.permissions
            FROM guild_members m JOIN guilds g ON g.id = m.guild_id WHERE m.user_id = ? ORDER BY g.id
            """, Int64(bitPattern: userID)).map { (guild($0), $0.int("permissions") ?? 0) }
    }

    /// Whether the user may manage the guild: its owner, or MANAGE_GUILD / ADMINISTRATOR.
    package static func canManage(guild: Guild, userID: UInt64, in db: SQLTransaction) throws -> Bool {
        if guild.ownerID == userID { return true }
        guard let bits = try permissions(guildID: guild.id, userID: userID, in: db) else { return false }
        return bits & (GuildPermission.manageGuild | GuildPermission.administrator) != 0
    }

    /// The permission bits a user can hand to a bot they add: all of them for the guild's owner or a member with
    /// ADMINISTRATOR, else exactly the member's own bits (none for a non-member). A bot invite never grants
    /// more than its inviter holds, as a role assignment never could.
    package static func grantablePermissions(guild: Guild, userID: UInt64, in db: SQLTransaction) throws -> Int64 {
        if guild.ownerID == userID { return GuildPermission.all }
        guard let bits = try permissions(guildID: guild.id, userID: userID, in: db) else { return 0 }
        return bits & GuildPermission.administrator != 0 ? GuildPermission.all : bits & GuildPermission.all
    }

    private static func guild(_ row: SQLRow) -> Guild {
        Guild(id: UInt64(bitPattern: row.int("id") ?? 0), name: row.string("name") ?? "", icon: row.string("icon"),
              ownerID: UInt64(bitPattern: row.int("owner_id") ?? 0), createdAt: row.int("created_at") ?? 0)
    }
}
