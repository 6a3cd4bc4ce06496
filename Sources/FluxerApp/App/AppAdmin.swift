import FluxerAPI
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth app list|show|delete`: applications as an operator sees them (never a secret or a token).
public enum AppAdmin {
    typealias Failure = UserCommands.Failure

    /// Applications by ascending id, all or one owner's: `[{id, name, owner_id, bot_id, public_client, …}]`.
    public static func list(config: Config, owner: String? = nil, limit: Int = UserAdmin.defaultLimit, after: String? = nil)
        throws(UserCommands.Failure) -> String {
        guard (1...UserAdmin.maxLimit).contains(limit) else { throw .invalid("limit: must be from 1 to \(UserAdmin.maxLimit)") }
        let ownerID = try owner.map { text throws(Failure) in try Admin.id(text, "owner") }
        let afterID = try after.map { text throws(Failure) in try Admin.id(text, "after") }
        return try Admin.run(config) { database in
            try database.read { db in
                let apps: [Application]
                if let ownerID {
                    guard try UserStore.find(id: ownerID, in: db) != nil else { throw Failure.invalid("owner \(ownerID): no such user") }
                    apps = try ApplicationStore.list(ownerID: ownerID, in: db).filter { $0.id > afterID ?? 0 }.prefix(limit).map { $0 }
                } else {
                    apps = try ApplicationStore.list(afterID: afterID, limit: limit, in: db)
                }
                return .array(apps.map { JSONValue.object(Admin.summary($0)) })
            }
        }
    }

    /// One application with its bot and owner.
    public static func show(config: Config, id text: String) throws(UserCommands.Failure) -> String {
        let id = try Admin.id(text, "application")
        return try Admin.run(config) { database in
            try database.read { db in
                let app = try Admin.application(id, in: db)
                let bot = try UserStore.find(id: app.id, in: db)
                let owner = try UserStore.find(id: app.ownerID, in: db)
                return .object(Admin.summary(app) + [
                    ("bot", bot.map { .object([("id", Admin.id($0.id)), ("username", .string($0.username)),
                                               ("disabled", .bool($0.isDisabled))]) } ?? .null),
                    ("owner", owner.map { .object([("id", Admin.id($0.id)), ("username", .string($0.username)),
                                                   ("email", $0.email.map(JSONValue.string) ?? .null)]) } ?? .null),
                    ("has_client_secret", .bool(!app.isPublicClient && !app.clientSecretHash.isEmpty)),
                ])
            }
        }
    }

    /// Deletes an application with its bot user, its bot token and every OAuth2 grant and token issued to it;
    /// every server forgets them at once. Needs `yes`.
    public static func delete(config: Config, id text: String, yes: Bool) throws(UserCommands.Failure) -> String {
        let id = try Admin.id(text, "application")
        return try Admin.run(config) { database in
            let app = try database.read { try Admin.application(id, in: $0) }
            try Admin.confirm(yes, "app delete: would delete application \(app.id) (\(app.name)) with its bot user, its bot token "
                + "and every OAuth2 grant and token issued to it")
            let now = Clock.wallMilliseconds()
            try Admin.write(database) { db, invalidations in
                _ = try Admin.application(id, in: db)
                try ApplicationStore.delete(id: id, in: db)
                // The bot's id is the application's: this also forgets the access tokens issued to it.
                invalidations.users.append(id)
                try Admin.audit("app.delete", userID: app.ownerID, applicationID: id, now: now, in: db)
            }
            return .object([("id", Admin.id(id)), ("deleted", true)])
        }
    }
}
