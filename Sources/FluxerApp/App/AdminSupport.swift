import FluxerAPI
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// What the admin commands (`user list|show|disable|enable|delete`, `app list|show|delete`, `sessions`, `keys`)
/// share: the database (migrated first, as every command), the `--yes` rule, audit rows and cache invalidations
/// written in the transaction that makes the change, and the JSON shapes.
enum Admin {
    typealias Failure = UserCommands.Failure

    /// The audit log's `actor` for an operator's command.
    static let actor = "cli"

    /// Runs `body` on the configured database (migrated first) and renders its answer; errors other than a
    /// `Failure` become one `database: …` line.
    static func run(_ config: Config, _ body: (DataStore) throws -> JSONValue) throws(Failure) -> String {
        try UserCommands.withDatabase(config) { database throws(Failure) in
            do {
                return try body(database).serialized
            } catch let failure as Failure {
                throw failure
            } catch {
                throw .invalid("database: \(error)")
            }
        }
    }

    /// A destructive command refuses without `--yes`, saying what it would do (exit 2; nothing changes).
    static func confirm(_ yes: Bool, _ wouldDo: @autoclosure () -> String) throws(Failure) {
        guard yes else { throw .refused("\(wouldDo()); nothing was changed, give --yes to do it") }
    }

    /// A write whose cache invalidations reach every server on the database when it commits (`CacheInvalidationBus`:
    /// NOTIFY on PostgreSQL, the polled log on SQLite), as the server's own writes do.
    static func write<T>(_ database: DataStore, _ body: (SQLTransaction, inout Invalidations) throws -> T) throws -> T {
        try database.write { db in
            var invalidations = Invalidations()
            let value = try body(db, &invalidations)
            try CacheInvalidationBus.publish(invalidations, in: db)
            return value
        }
    }

    /// An audit row with actor `cli`, in the caller's transaction (so it exists exactly when the change does).
    static func audit(_ event: String, userID: UInt64? = nil, applicationID: UInt64? = nil, detail: String? = nil, now: Int64,
                      in db: SQLTransaction) throws {
        try AuditStore.insert(AuditEvent(at: now, event: event, outcome: "success", userID: userID, applicationID: applicationID,
                                         ip: nil, userAgent: nil, detail: detail, actor: actor), in: db)
    }

    /// A snowflake argument, or exit 1 naming the field.
    static func id(_ text: String, _ field: String) throws(Failure) -> UInt64 {
        guard let id = Snowflake.parse(text) else { throw .invalid("\(field): \(text.prefix(40)) is not an id (a snowflake)") }
        return id
    }

    /// The user named by an id or an email address, or exit 1.
    static func user(_ reference: String, in db: SQLTransaction) throws -> User {
        if reference.contains("@") {
            guard let user = try UserStore.find(email: reference, in: db) else { throw Failure.invalid("user \(reference.prefix(254)): no such user") }
            return user
        }
        let id = try id(reference, "user")
        guard let user = try UserStore.find(id: id, in: db) else { throw Failure.invalid("user \(id): no such user") }
        return user
    }

    /// The application with that id, or exit 1.
    static func application(_ id: UInt64, in db: SQLTransaction) throws -> Application {
        guard let app = try ApplicationStore.find(id: id, in: db) else { throw Failure.invalid("application \(id): no such application") }
        return app
    }

    /// How the admin commands name a user in a sentence.
    static func describe(_ user: User) -> String {
        "user \(user.id) (\(user.email ?? user.username + "#" + user.discriminatorText))"
    }

    static func time(_ milliseconds: Int64?) -> JSONValue {
        milliseconds.map { .string(ISO8601.format(milliseconds: $0)) } ?? .null
    }

    static func id(_ value: UInt64) -> JSONValue { .string(String(value)) }

    /// A user as `user list` shows it (never a secret or a hash).
    static func summary(_ user: User) -> [(String, JSONValue)] {
        [
            ("id", id(user.id)), ("username", .string(user.username)), ("discriminator", .string(user.discriminatorText)),
            ("email", user.email.map(JSONValue.string) ?? .null), ("verified", .bool(user.verified)), ("bot", .bool(user.isBot)),
            ("disabled", .bool(user.isDisabled)), ("disabled_at", time(user.disabledAt)), ("created_at", time(user.createdAt)),
        ]
    }

    /// An application as `app list` shows it (never its secret or token).
    static func summary(_ app: Application) -> [(String, JSONValue)] {
        [
            ("id", id(app.id)), ("name", .string(app.name)), ("owner_id", id(app.ownerID)), ("bot_id", id(app.id)),
            ("public_client", .bool(app.isPublicClient)), ("bot_public", .bool(app.botPublic)),
            ("redirect_uris", .array(app.redirectURIs.map(JSONValue.string))), ("created_at", time(app.createdAt)),
        ]
    }
}
