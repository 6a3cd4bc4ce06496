import FluxerDomain
import FluxerPersistence
import HTTPServer

/// `PATCH /oauth2/applications/{id}/bot` (the real server's `updateBotProfile`, Fluxer's `BotProfileUpdateRequest`
/// → `BotProfileResponse`): the application's owner (session; bots and OAuth2 tokens get 403 `ACCESS_DENIED`,
/// another user 403 `ACCESS_DENIED`, an unknown application 404 `UNKNOWN_APPLICATION`) changes the bot's
/// username (its discriminator is kept when the new tag is free, else one is drawn; it cannot be chosen:
/// `BOT_DISCRIMINATOR_CANNOT_BE_CHANGED`), avatar and banner (base64 or a data URI; `null` clears), bio (at most
/// 1024 characters) and `bot_flags` (only FRIENDLY_BOT 16 and FRIENDLY_BOT_MANUAL_APPROVAL 32 take effect). No
/// sudo, as the real server. Whether the bot is public is the application's `bot_public`
/// (`PATCH /oauth2/applications/{id}`).
extension ApplicationRoutes {
    package struct BotProfileBody: Decodable, Sendable {
        package var username: String?
        package var discriminator: String?
        package var avatar: PatchField<String>
        package var banner: PatchField<String>
        package var bio: PatchField<String>
        package var botFlags: Int64?

        enum CodingKeys: String, CodingKey {
            case username, discriminator, avatar, banner, bio, bot_flags
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // These may be left out but not null (the document's schema): `decode` refuses a null with a 400.
            username = c.contains(.username) ? try c.decode(String.self, forKey: .username) : nil
            discriminator = c.contains(.discriminator) ? try c.decode(String.self, forKey: .discriminator) : nil
            avatar = try c.patch(String.self, forKey: .avatar)
            banner = try c.patch(String.self, forKey: .banner)
            bio = try c.patch(String.self, forKey: .bio)
            botFlags = c.contains(.bot_flags) ? try c.decode(Int64.self, forKey: .bot_flags) : nil
        }
    }

    /// The user flags a bot's owner may set (`BotFlags`).
    package static let ownerSettableBotFlags: Int64 = 16 | 32

    package static func updateBotProfile(_ request: HTTPRequest, _ accounts: any ApplicationRoutes.Services) throws -> HTTPResponse {
        let (app, bot, principal) = try owned(request, accounts)
        let body = try JSONBody.decode(BotProfileBody.self, from: request)
        var errors: [FieldError] = []
        if let username = body.username, let e = AccountValidation.username(username) { errors.append(e) }
        if let text = body.discriminator {
            let (value, error) = AccountValidation.discriminator(text)
            if let error {
                errors.append(error)
            } else if value != bot.discriminator {
                errors.append(FieldError(path: "discriminator", message: "A bot's discriminator cannot be changed.", code: "BOT_DISCRIMINATOR_CANNOT_BE_CHANGED"))
            }
        }
        var images: [String: PatchField<String>] = [:]
        for (field, path) in [(body.avatar, "avatar"), (body.banner, "banner")] {
            switch field {
            case .value(let image):
                switch ProfileImage.hash(image, path: path) {
                case .hash(let hash): images[path] = .value(hash)
                case .invalid(let e): errors.append(e)
                }
            case .null: images[path] = .null
            case .absent: break
            }
        }
        if case .value(let bio) = body.bio, let e = AccountValidation.bio(bio, length: AccountValidation.botBioLength) { errors.append(e) }
        if let flags = body.botFlags, !(0...Int64(Int32.max)).contains(flags) {
            errors.append(FieldError(path: "bot_flags", message: "bot_flags must be between 0 and 2147483647.", code: "INVALID_FORMAT"))
        }
        guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }

        let updated = try accounts.write { db, invalidations -> User in
            guard var user = try UserStore.find(id: app.id, in: db), user.isBot else { throw unknownApplication }
            if let username = body.username, username != user.username {
                (user.username, user.discriminator) = try UserRoutes.newTag(username: username, discriminator: nil, of: user, in: db)
            }
            user.avatar = (images["avatar"] ?? .absent).applied(to: user.avatar)
            user.banner = (images["banner"] ?? .absent).applied(to: user.banner)
            if case .value(let bio) = body.bio { user.bio = bio.isEmpty ? nil : bio } else if case .null = body.bio { user.bio = nil }
            if let flags = body.botFlags { user.flags = (user.flags & ~ownerSettableBotFlags) | (flags & ownerSettableBotFlags) }
            user.globalName = nil
            try UserStore.updateProfile(user, in: db)
            // The bot's cached principal (`/users/@me`, `/applications/@me` with its token) shows the change at once.
            invalidations.users.append(app.id)
            return try UserStore.find(id: app.id, in: db) ?? user
        }
        accounts.audit.record("bot.profile.update", outcome: "success", userID: principal.user.id, applicationID: app.id, request: request)
        return .json(.ok, Application.botProfileJSON(updated))
    }
}
