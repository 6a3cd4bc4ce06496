/// The small guild model the `bot` scope needs: guilds with an owner and members holding permission bits.
struct Guild: Sendable, Equatable {
    var id: UInt64
    var name: String
    var icon: String?
    var ownerID: UInt64
    var createdAt: Int64
}

extension Guild {
    /// The guild shape of `GET /users/@me/guilds`: the issue's `{id, name, icon, owner, permissions}` plus the real
    /// server's fields with their defaults.
    func json(permissions: Int64, userID: UInt64) -> JSONValue {
        .object([
            ("id", .string(String(id))), ("name", .string(name)), ("icon", icon.map(JSONValue.string) ?? .null),
            ("owner", .bool(ownerID == userID)), ("owner_id", .string(String(ownerID))),
            ("permissions", .string(String(ownerID == userID ? GuildPermission.all : permissions))),
            ("banner", .null), ("splash", .null), ("vanity_url_code", .null), ("features", .array([])),
            ("system_channel_id", .null), ("rules_channel_id", .null), ("afk_channel_id", .null), ("afk_timeout", 300),
            ("verification_level", 0), ("mfa_level", 0), ("nsfw_level", 0), ("explicit_content_filter", 0),
            ("default_message_notifications", 0),
        ])
    }
}
