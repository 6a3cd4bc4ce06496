import FluxerAPI
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth user list|show|disable|enable|delete`: accounts as an operator sees them, straight on the database.
public enum UserAdmin {
    typealias Failure = UserCommands.Failure

    /// Default and largest `--limit` of `user list`.
    public static let defaultLimit = 100
    public static let maxLimit = UserStore.maxListLimit
    /// Longest `--email-contains`.
    public static let maxFilterLength = 254

    /// Users by ascending id: `[{id, username, discriminator, email, verified, bot, disabled, disabled_at, created_at}]`.
    public static func list(config: Config, limit: Int = defaultLimit, after: String? = nil, emailContains: String? = nil)
        throws(UserCommands.Failure) -> String {
        guard (1...maxLimit).contains(limit) else { throw .invalid("limit: must be from 1 to \(maxLimit)") }
        let afterID = try after.map { text throws(Failure) in try Admin.id(text, "after") }
        if let emailContains, emailContains.isEmpty || emailContains.count > maxFilterLength {
            throw .invalid("email-contains: must be 1 to \(maxFilterLength) characters")
        }
        return try Admin.run(config) { database in
            let users = try database.read { try UserStore.list(afterID: afterID, emailContains: emailContains, limit: limit, in: $0) }
            return .array(users.map { JSONValue.object(Admin.summary($0)) })
        }
    }

    /// One user by id or email: the summary, second factors, sessions and applications (never a secret).
    public static func show(config: Config, user reference: String) throws(UserCommands.Failure) -> String {
        try Admin.run(config) { database in
            try database.read { db in
                let user = try Admin.user(reference, in: db)
                let sessions = try SessionStore.list(userID: user.id, in: db)
                let apps = try ApplicationStore.list(ownerID: user.id, in: db)
                return .object(Admin.summary(user) + [
                    ("global_name", user.globalName.map(JSONValue.string) ?? .null),
                    ("has_password", .bool(user.passwordHash != nil)),
                    ("mfa", .object([("totp", .bool(user.totpEnabled)), ("sms", .bool(user.smsMFAEnabled)),
                                     ("webauthn_credentials", .int(Int64(user.webauthnCount)))])),
                    ("locked_until", Admin.time(user.lockedUntil)),
                    ("sessions", .int(Int64(sessions.count))),
                    ("applications", .array(apps.map { Admin.id($0.id) })),
                ])
            }
        }
    }

    /// Disables an account: it can no longer sign in (403 `ACCOUNT_SUSPENDED_PERMANENTLY`), its sessions and OAuth2
    /// grants are revoked, and every server forgets its cached credentials. Needs `yes`.
    public static func disable(config: Config, user reference: String, yes: Bool) throws(UserCommands.Failure) -> String {
        try Admin.run(config) { database in
            let (user, sessions) = try database.read { db in
                let user = try Admin.user(reference, in: db)
                return (user, try SessionStore.list(userID: user.id, in: db).count)
            }
            try Admin.confirm(yes, "user disable: would disable \(Admin.describe(user)): it could no longer sign in, its "
                + "\(sessions) session(s) would end and its OAuth2 grants be revoked")
            let now = Clock.wallMilliseconds()
            let (changed, revoked) = try Admin.write(database) { db, invalidations -> (Bool, Int) in
                guard try UserStore.find(id: user.id, in: db) != nil else { throw Failure.invalid("user \(user.id): no such user") }
                let changed = try UserStore.disable(userID: user.id, now: now, in: db)
                let revoked = try SessionStore.revokeAll(userID: user.id, in: db)
                try OAuthStore.revokeAll(userID: user.id, reason: "user_disabled", now: now, in: db)
                invalidations.users.append(user.id)
                try Admin.audit("user.disable", userID: user.id, detail: changed ? nil : "already_disabled", now: now, in: db)
                return (changed, revoked)
            }
            let disabledAt = try database.read { try UserStore.find(id: user.id, in: $0)?.disabledAt }
            return .object([("id", Admin.id(user.id)), ("disabled", true), ("disabled_at", Admin.time(disabledAt)),
                            ("already_disabled", .bool(!changed)), ("sessions_revoked", .int(Int64(revoked)))])
        }
    }

    /// Lets a disabled account sign in again (its revoked sessions and grants stay revoked).
    public static func enable(config: Config, user reference: String) throws(UserCommands.Failure) -> String {
        try Admin.run(config) { database in
            let user = try database.read { try Admin.user(reference, in: $0) }
            let now = Clock.wallMilliseconds()
            let changed = try Admin.write(database) { db, invalidations -> Bool in
                let changed = try UserStore.enable(userID: user.id, in: db)
                if changed {
                    invalidations.users.append(user.id)
                    try Admin.audit("user.enable", userID: user.id, now: now, in: db)
                }
                return changed
            }
            return .object([("id", Admin.id(user.id)), ("disabled", false), ("was_disabled", .bool(changed))])
        }
    }

    /// Deletes a user with everything hanging off it: its applications (and their bots), sessions, grants,
    /// consents, second factors, SSO links, guild memberships and owned guilds. Refuses bots (they go with their
    /// application: `app delete`). Needs `yes`.
    public static func delete(config: Config, user reference: String, yes: Bool) throws(UserCommands.Failure) -> String {
        try Admin.run(config) { database in
            let (user, sessions, apps) = try database.read { db in
                let user = try Admin.user(reference, in: db)
                return (user, try SessionStore.list(userID: user.id, in: db).count, try ApplicationStore.list(ownerID: user.id, in: db))
            }
            guard !user.isBot else {
                throw Failure.invalid("user \(user.id) is a bot: delete its application instead (fluxer-auth app delete \(user.id))")
            }
            try Admin.confirm(yes, "user delete: would delete \(Admin.describe(user)) with its \(apps.count) application(s) and their "
                + "bots, \(sessions) session(s), OAuth2 grants, second factors, SSO links and the guilds it owns")
            let now = Clock.wallMilliseconds()
            let deletedApps = try Admin.write(database) { db, invalidations -> [UInt64] in
                let apps = try ApplicationStore.list(ownerID: user.id, in: db)
                for app in apps {
                    try ApplicationStore.delete(id: app.id, in: db)
                    invalidations.users.append(app.id)
                    try Admin.audit("app.delete", userID: user.id, applicationID: app.id, detail: "owner_deleted", now: now, in: db)
                }
                guard try UserStore.delete(id: user.id, in: db) else { throw Failure.invalid("user \(user.id): no such user") }
                invalidations.users.append(user.id)
                try Admin.audit("user.delete", userID: user.id, now: now, in: db)
                return apps.map(\.id)
            }
            return .object([("id", Admin.id(user.id)), ("deleted", true), ("applications_deleted", .array(deletedApps.map(Admin.id))),
                            ("sessions_revoked", .int(Int64(sessions)))])
        }
    }
}
