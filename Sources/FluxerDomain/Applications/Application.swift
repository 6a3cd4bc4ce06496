import FoundationEssentials
import FluxerJSON

/// An OAuth2 application with its bot.
public struct Application: Sendable, Equatable {
    public var id: UInt64
    public var ownerID: UInt64
    public var name: String
    public var description: String?
    public var icon: String?
    public var redirectURIs: [String]
    public var botPublic: Bool
    public var botRequireCodeGrant: Bool
    public var flags: Int64
    public var clientSecretHash: [UInt8]
    public var botTokenHash: [UInt8]?
    public var createdAt: Int64
    /// A public client has no usable secret and must use PKCE (RFC 7636, RFC 9700 §2.1.1).
    public var isPublicClient: Bool

    package static func encodeRedirectURIs(_ uris: [String]) -> String {
        JSONValue.array(uris.map(JSONValue.string)).serialized
    }

    /// `ApplicationBotResponse` (the real server's `mapBotUserToResponse`), with the token when just minted.
    package static func botJSON(_ bot: User, token: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(String(bot.id))), ("username", .string(bot.username)), ("discriminator", .string(bot.discriminatorText)),
            ("avatar", bot.avatar.map(JSONValue.string) ?? .null), ("banner", bot.banner.map(JSONValue.string) ?? .null),
            ("bio", bot.bio.map(JSONValue.string) ?? .null),
            ("mfa_enabled", false), ("authenticator_types", .array([])), ("flags", .int(bot.flags)),
        ]
        if let token { members.append(("token", .string(token))) }
        return .object(members)
    }

    /// `BotProfileResponse` (`PATCH /oauth2/applications/{id}/bot`).
    package static func botProfileJSON(_ bot: User) -> JSONValue {
        .object([
            ("id", .string(String(bot.id))), ("username", .string(bot.username)), ("discriminator", .string(bot.discriminatorText)),
            ("avatar", bot.avatar.map(JSONValue.string) ?? .null), ("banner", bot.banner.map(JSONValue.string) ?? .null),
            ("bio", bot.bio.map(JSONValue.string) ?? .null),
        ])
    }

    /// `ApplicationResponse`; `clientSecret` and `botToken` only right after they were generated.
    package func json(bot: User, clientSecret: String? = nil, botToken: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(String(id))), ("name", .string(name)),
            ("redirect_uris", .array(redirectURIs.map(JSONValue.string))),
            ("bot_public", .bool(botPublic)), ("bot_require_code_grant", .bool(botRequireCodeGrant)),
        ]
        if let clientSecret { members.append(("client_secret", .string(clientSecret))) }
        members.append(("bot", Self.botJSON(bot, token: botToken)))
        return .object(members)
    }

    /// `ApplicationsMeResponse` (`GET /applications/@me`).
    package func meJSON(bot: User) -> JSONValue {
        .object([
            ("id", .string(String(id))), ("name", .string(name)), ("icon", icon.map(JSONValue.string) ?? .null),
            ("description", description.map(JSONValue.string) ?? .null), ("bot_public", .bool(botPublic)),
            ("bot_require_code_grant", .bool(botRequireCodeGrant)), ("flags", .int(flags)), ("bot", Self.botJSON(bot)),
        ])
    }

    /// `ApplicationPublicResponse` (for the authorize page).
    package func publicJSON(bot: User?, scopes: [String]) -> JSONValue {
        .object([
            ("id", .string(String(id))), ("name", .string(name)), ("icon", icon.map(JSONValue.string) ?? .null),
            ("description", description.map(JSONValue.string) ?? .null),
            ("redirect_uris", .array(redirectURIs.map(JSONValue.string))), ("scopes", .array(scopes.map(JSONValue.string))),
            ("bot_public", .bool(botPublic)), ("bot", bot.map { Self.botJSON($0) } ?? .null),
        ])
    }
    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: UInt64, ownerID: UInt64, name: String, description: String?, icon: String?, redirectURIs: [String], botPublic: Bool, botRequireCodeGrant: Bool, flags: Int64, clientSecretHash: [UInt8], botTokenHash: [UInt8]?, createdAt: Int64, isPublicClient: Bool) {
        self.id = id
        self.ownerID = ownerID
        self.name = name
        self.description = description
        self.icon = icon
        self.redirectURIs = redirectURIs
        self.botPublic = botPublic
        self.botRequireCodeGrant = botRequireCodeGrant
        self.flags = flags
        self.clientSecretHash = clientSecretHash
        self.botTokenHash = botTokenHash
        self.createdAt = createdAt
        self.isPublicClient = isPublicClient
    }
}
