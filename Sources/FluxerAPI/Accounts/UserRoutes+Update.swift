import FluxerDomain
import FluxerPersistence
import HTTPServer
import SQLite

/// `PATCH /users/@me` (the real server's `updateCurrentUser`, Fluxer's `UserUpdateWithVerificationRequest`): a
/// signed-in user (session only: bots and OAuth2 tokens get 403 `ACCESS_DENIED`) changes their profile and
/// answers the private user shape of `GET /users/@me`.
///
/// - Free to change: `global_name`, `avatar`, `banner`, `bio` (images as base64 or a data URI; `null` clears).
/// - Sudo (the proof in the same body, or the sudo token), as the real server asks: a new `username` or
///   `discriminator`, `email`, `email_token`, `new_password`. Nothing of the body is applied without it.
/// - `username`: the discriminator is kept when the new tag is free, else a free one is drawn (5 changes an
///   hour); `discriminator` (1–9999) picks a free tag.
/// - `email`: the address does not change yet; a link goes to the new address (3 requests an hour). Opening it
///   (`POST /auth/verify`) or sending its token as `email_token` makes the change, and the old address gets a
///   revert link (`POST /auth/email-revert`).
/// - `new_password` needs the current `password` (also from users with MFA, who prove sudo with a factor); every
///   other session and every OAuth2 grant ends (SE-09, RT-07), the caller's session stays.
/// Fields of the document this server does not model (pronouns, accent colour, premium flags) are ignored, but
/// held to the document's types and ranges like the rest: a malformed body is refused whole, never half-applied.
extension UserRoutes {
    package struct UpdateBody: Decodable, Sendable {
        package var username: String?
        package var discriminator: String?
        package var globalName: PatchField<String>
        package var email: String?
        package var emailToken: String?
        package var password: String?
        package var newPassword: String?
        package var avatar: PatchField<String>
        package var banner: PatchField<String>
        package var bio: PatchField<String>

        enum CodingKeys: String, CodingKey, CaseIterable {
            case username, discriminator, global_name, email, email_token, password, new_password, avatar, banner, bio
            // Accepted and ignored (the document's UserUpdateWithVerificationRequest), but type-checked.
            case accent_color, pronouns, has_dismissed_premium_onboarding, has_unread_gift_inventory, premium_badge_hidden,
                 premium_badge_masked, premium_badge_sequence_hidden, premium_badge_timestamp_hidden, premium_enabled_override,
                 used_mobile_client
        }

        /// The document's flags this server ignores: booleans, never null.
        static let ignoredFlags: [CodingKeys] = [
            .has_dismissed_premium_onboarding, .has_unread_gift_inventory, .premium_badge_hidden, .premium_badge_masked,
            .premium_badge_sequence_hidden, .premium_badge_timestamp_hidden, .premium_enabled_override, .used_mobile_client,
        ]

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // Present means a value: these may be left out but not null (`decode` refuses a null with a 400).
            func value(_ key: CodingKeys) throws -> String? { c.contains(key) ? try c.decode(String.self, forKey: key) : nil }
            username = try value(.username)
            discriminator = try value(.discriminator)
            globalName = try c.patch(String.self, forKey: .global_name)
            email = try value(.email)
            emailToken = try value(.email_token)
            password = try value(.password)
            newPassword = try value(.new_password)
            // The sudo proof is a password of the document's PasswordType (8–256), when given.
            if let password, let error = AccountValidation.password(password) {
                throw DecodingError.dataCorruptedError(forKey: .password, in: c, debugDescription: error.message)
            }
            for flag in Self.ignoredFlags where c.contains(flag) { _ = try c.decode(Bool.self, forKey: flag) }
            if let color = try c.decodeIfPresent(Int64.self, forKey: .accent_color), !(0...0xFF_FFFF).contains(color) {
                throw DecodingError.dataCorruptedError(forKey: .accent_color, in: c, debugDescription: "accent_color must be 0 to 16777215")
            }
            if let pronouns = try c.decodeIfPresent(String.self, forKey: .pronouns), AccountValidation.jsLength(pronouns) > 40 {
                throw DecodingError.dataCorruptedError(forKey: .pronouns, in: c, debugDescription: "pronouns: at most 40 characters")
            }
            avatar = try c.patch(String.self, forKey: .avatar)
            banner = try c.patch(String.self, forKey: .banner)
            bio = try c.patch(String.self, forKey: .bio)
        }
    }

    /// What a valid body asks for, against the account as it was read.
    struct UpdatePlan: Sendable {
        var globalName: PatchField<String> = .absent
        var avatar: PatchField<String> = .absent
        var banner: PatchField<String> = .absent
        var bio: PatchField<String> = .absent
        /// The username asked for, when it differs from the current one (a change of case counts).
        var username: String?
        /// The discriminator asked for, when it differs from the current one.
        var discriminator: Int?
        /// A new address to send a change link to.
        var email: String?
        var emailToken: String?
        var newPassword: String?

        var needsSudo: Bool { username != nil || discriminator != nil || email != nil || emailToken != nil || newPassword != nil }
    }

    package static func update(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any UserRoutes.Services) {
        writer.respondAsync { reply in
            let principal = try accounts.requireUser(request, allowBots: false)
            let body = try JSONBody.decode(UpdateBody.self, from: request)
            // The cached principal may predate a change made elsewhere: decide on the row as it is.
            guard let user = try accounts.context.database.read({ try UserStore.find(id: principal.user.id, in: $0) }) else {
                throw APIError.unauthorized
            }
            let plan = try validate(body, user: user, accounts: accounts)
            let now = accounts.now
            if let email = plan.email {
                let available = try accounts.context.database.read { try UserStore.isEmailAvailable(email, for: user.id, now: now, in: $0) }
                guard available else { throw Accounts.emailInUse }
            }
            let fresh = Principal(user: user, kind: principal.kind)
            let apply: @Sendable (String?) throws -> HTTPResponse = { passwordHash in
                try save(plan, passwordHash: passwordHash, principal: fresh, request: request, accounts: accounts)
            }
            let proveThenApply: @Sendable (String?) throws -> Void = { passwordHash in
                guard plan.needsSudo else { return reply(try apply(passwordHash)) }
                try accounts.requireSudo(fresh, request: request, reply: reply) { try apply(passwordHash) }
            }
            guard let newPassword = plan.newPassword else { return try proveThenApply(nil) }
            // A user with MFA proves sudo with a factor; the current password is checked as well.
            if user.hasMFA, let current = user.passwordHash, let password = body.password {
                try accounts.verifyOnPool(password, against: current, reply: reply) { ok in
                    guard ok, try !accounts.isLocked(user) else {
                        try accounts.proofFailed(user, request: request, event: "password_change.failure")
                        throw Accounts.invalidPassword
                    }
                    try accounts.hashOnPool(newPassword, reply: reply) { hash in try proveThenApply(hash) }
                }
                return
            }
            try accounts.hashOnPool(newPassword, reply: reply) { hash in try proveThenApply(hash) }
        }
    }

    /// The body's field rules, all reported at once; then what it asks for.
    static func validate(_ body: UpdateBody, user: User, accounts: any UserRoutes.Services) throws -> UpdatePlan {
        var errors: [FieldError] = []
        var plan = UpdatePlan()
        if let username = body.username {
            if let e = AccountValidation.username(username) { errors.append(e) } else if username != user.username { plan.username = username }
        }
        if let text = body.discriminator {
            let (value, error) = AccountValidation.discriminator(text)
            if let error { errors.append(error) } else if let value, value != user.discriminator {
                if value == 0 {
                    errors.append(FieldError(path: "discriminator", message: "The discriminator must be between 1 and 9999.", code: "INVALID_FORMAT"))
                } else {
                    plan.discriminator = value
                }
            }
        }
        switch body.globalName {
        case .value(let name):
            if let e = AccountValidation.globalName(name) { errors.append(e) } else { plan.globalName = .value(name.trimmingASCIIWhitespace()) }
        case .null: plan.globalName = .null
        case .absent: break
        }
        for (field, path) in [(body.avatar, "avatar"), (body.banner, "banner")] {
            switch field {
            case .value(let image):
                switch ProfileImage.hash(image, path: path) {
                case .hash(let hash): if path == "avatar" { plan.avatar = .value(hash) } else { plan.banner = .value(hash) }
                case .invalid(let e): errors.append(e)
                }
            case .null: if path == "avatar" { plan.avatar = .null } else { plan.banner = .null }
            case .absent: break
            }
        }
        switch body.bio {
        case .value(let bio):
            if let e = AccountValidation.bio(bio, length: AccountValidation.userBioLength) { errors.append(e) } else { plan.bio = bio.isEmpty ? .null : .value(bio) }
        case .null: plan.bio = .null
        case .absent: break
        }
        if body.email != nil && body.emailToken != nil {
            errors.append(FieldError(path: "email", message: "Send email or email_token, not both.", code: "INVALID_FORMAT"))
        } else if let email = body.email {
            if let e = AccountValidation.email(email) {
                errors.append(e)
            } else if UserStore.emailKey(email) != user.email.map(UserStore.emailKey) {
                plan.email = email
            }
        } else if let token = body.emailToken {
            if EmailToken.isWellFormed(token) { plan.emailToken = token } else {
                errors.append(FieldError(path: "email_token", message: "Invalid or expired email token.", code: "INVALID_EMAIL_TOKEN"))
            }
        }
        if let newPassword = body.newPassword {
            if let e = AccountValidation.newPassword(newPassword, username: body.username ?? user.username, email: user.email,
                                                     blocklist: accounts.context.config.passwordBlocklist, path: "new_password") {
                errors.append(e)
            } else if user.passwordHash != nil && (body.password ?? "").isEmpty {
                errors.append(FieldError(path: "password", message: "Your current password is required to set a new one.", code: "PASSWORD_NOT_SET"))
            } else {
                plan.newPassword = newPassword
            }
        }
        guard errors.isEmpty else { throw APIError.invalidFormBody(errors) }
        return plan
    }

    /// Applies a proven plan in one transaction and answers the user as it now is.
    static func save(_ plan: UpdatePlan, passwordHash: String?, principal: Principal, request: HTTPRequest,
                     accounts: any UserRoutes.Services) throws -> HTTPResponse {
        let config = accounts.context.config
        let (user, emailChanged, linkSent) = try accounts.write { db, invalidations -> (User, Bool, Bool) in
            let now = accounts.now
            guard var user = try UserStore.find(id: principal.user.id, in: db) else { throw APIError.unauthorized }
            if plan.username != nil || plan.discriminator != nil {
                if let username = plan.username, username.lowercased() != user.username.lowercased(),
                   case .limited = try AttemptLimiter.hit("username_change:\(user.id)", limit: config.usernameChangeLimit, now: now, in: db) {
                    throw APIError.invalidField("username", "You have changed your username too many times; try again later.",
                                                code: "USERNAME_CHANGED_TOO_MANY_TIMES")
                }
                (user.username, user.discriminator) = try newTag(username: plan.username ?? user.username, discriminator: plan.discriminator,
                                                                 of: user, in: db)
            }
            user.globalName = plan.globalName.applied(to: user.globalName)
            user.avatar = plan.avatar.applied(to: user.avatar)
            user.banner = plan.banner.applied(to: user.banner)
            user.bio = plan.bio.applied(to: user.bio)
            try UserStore.updateProfile(user, in: db)
            if let passwordHash {
                try UserStore.setPassword(userID: user.id, hash: passwordHash, now: now, in: db)
                if let kept = principal.sessionHash {
                    invalidations.tokens.revoked(.session, count: try SessionStore.revokeAll(userID: user.id, except: kept, in: db))
                }
                try OAuthStore.revokeAll(userID: user.id, reason: "password_change", now: now, in: db)
                invalidations.tokens.revoked(.oauthGrant)
                try EmailTokenStore.deletePasswordResetTokens(userID: user.id, in: db)
            }
            var emailChanged = false
            if let token = plan.emailToken {
                guard try accounts.redeemEmailChange(token, userID: user.id, in: db, invalidations: &invalidations) != nil else {
                    throw Accounts.invalidEmailToken
                }
                emailChanged = true
            }
            if let email = plan.email {
                if case .limited(let retry) = try AttemptLimiter.hit("email_change:\(user.id)", limit: config.emailChangeLimit, now: now, in: db) {
                    throw APIError.rateLimited(retryAfterMilliseconds: retry)
                }
                guard try UserStore.isEmailAvailable(email, for: user.id, now: now, in: db) else { throw Accounts.emailInUse }
                try accounts.sendEmailChange(to: user, newEmail: email, in: db)
            }
            invalidations.users.append(user.id)
            return (try UserStore.find(id: user.id, in: db) ?? user, emailChanged, plan.email != nil)
        }
        if passwordHash != nil { accounts.audit.record("password.change", outcome: "success", userID: user.id, request: request) }
        if plan.username != nil || plan.discriminator != nil {
            accounts.audit.record("username.change", outcome: "success", userID: user.id, request: request)
        }
        if emailChanged { accounts.audit.record("email.change", outcome: "success", userID: user.id, request: request) }
        if linkSent { accounts.audit.record("email.change_requested", outcome: "success", userID: user.id, request: request) }
        if emailChanged || linkSent { accounts.deliveryNudge() }
        return .json(.ok, user.privateJSON())
    }

    /// The tag a change asks for: a chosen discriminator must be free; otherwise the current one is kept when
    /// the new name is the same (any case) or its tag is free, else a free one is drawn.
    static func newTag(username: String, discriminator: Int?, of user: User, in db: SQLTransaction) throws -> (String, Int) {
        if let discriminator {
            guard try UserStore.isTagFree(username: username, discriminator: discriminator, for: user.id, in: db) else {
                throw APIError.invalidField(username.lowercased() != user.username.lowercased() ? "username" : "discriminator",
                                            "This username and discriminator are taken.", code: "TAG_ALREADY_TAKEN")
            }
            return (username, discriminator)
        }
        if username.lowercased() == user.username.lowercased() {
            return (username, user.discriminator)
        }
        if try UserStore.isTagFree(username: username, discriminator: user.discriminator, for: user.id, in: db) {
            return (username, user.discriminator)
        }
        guard let drawn = try UserStore.freeDiscriminator(for: username, in: db) else {
            throw APIError.invalidField("username", "Too many users have this username; try another.", code: "TOO_MANY_USERS_WITH_THIS_USERNAME")
        }
        return (username, drawn)
    }
}
