import FluxerJSON

/// The small guild model the `bot` scope needs: guilds with an owner and members holding permission bits.
package struct Guild: Sendable, Equatable {
    package var id: UInt64
    package var name: String
    package var icon: String?
    package var ownerID: UInt64
    package var createdAt: Int64
    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: UInt64, name: String, icon: String?, ownerID: UInt64, createdAt: Int64) {
        self.id = id
        self.name = name
        self.icon = icon
        self.ownerID = ownerID
        self.createdAt = createdAt
    }
}

extension Guild {
    /// The guild shape of `GET /users/@me/guilds`: the issue's `{id, name, icon, owner, permissions}` plus the real
    /// server's fields with their defaults.
    package func json(permissions: Int64, userID: UInt64) -> JSONValue {
        .object([
            ("id", .string(String(id))), ("name", .string(name)), ("icon", icon.map(JSONValue.string) ?? .null),
            ("owner", .bool(ownerID == userID)), ("owner_id", .string(String(ownerID))),
            ("permissions", .string(String(ownerID == userID ? GuildPermission.all : permissions))),
            ("banner", .null), ("splash", .null), ("vanity_url_code", .null), ("features", .array([])),
            ("system_channel_id", .null), ("rules_channel_id", .null), ("afk_channel_id", .null), ("afk_timeout", 300),
            ("verification_level", 0), ("mfa_level", 0), ("nsfw_level", 0), ("explicit_content_filter", 0),
            ("default_message_notifications", 0),
            // The rest of Fluxer's `GuildResponse` (every required field, the image sizes as null).
            ("splash_card_alignment", 0), ("system_channel_flags", 0), ("disabled_operations", 0),
            ("banner_height", .null), ("banner_width", .null), ("splash_height", .null), ("splash_width", .null),
            ("embed_splash", .null), ("embed_splash_height", .null), ("embed_splash_width", .null), ("message_history_cutoff", .null),
        ])
    }
}
