/// Storage of guilds and their members: the contract `GuildStore` (FluxerPersistence) fulfils on SQLite and PostgreSQL
/// alike. Every function runs inside the caller's transaction (`in db:`) and does nothing but its statements: a
/// PostgreSQL write may run again after a serialization failure.
package protocol GuildStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    static func create(id: UInt64, name: String, ownerID: UInt64, now: Int64, in db: Transaction) throws -> Guild
    static func find(id: UInt64, in db: Transaction) throws -> Guild?
    static func addMember(guildID: UInt64, userID: UInt64, permissions: Int64, source: String, now: Int64,
                     in db: Transaction) throws
    /// The id of the user's guild called `name` (the seed command's idempotence).
    static func id(ownerID: UInt64, name: String, in db: Transaction) throws -> UInt64?
    /// Whether the user is a member of the guild.
    static func isMember(guildID: UInt64, userID: UInt64, in db: Transaction) throws -> Bool
    /// A member's permission bits, or nil when not a member.
    static func permissions(guildID: UInt64, userID: UInt64, in db: Transaction) throws -> Int64?
    /// Guilds a user is in, with their permissions there, by id.
    static func memberships(userID: UInt64, in db: Transaction) throws -> [(Guild, Int64)]
    /// Whether the user may manage the guild: its owner, or MANAGE_GUILD / ADMINISTRATOR.
    static func canManage(guild: Guild, userID: UInt64, in db: Transaction) throws -> Bool
    /// The permission bits a user can hand to a bot they add: all of them for the guild's owner or a member with
    /// ADMINISTRATOR, else exactly the member's own bits (none for a non-member). A bot invite never grants
    /// more than its inviter holds, as a role assignment never could.
    static func grantablePermissions(guild: Guild, userID: UInt64, in db: Transaction) throws -> Int64
}
