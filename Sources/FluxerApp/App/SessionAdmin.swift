import FluxerAPI
import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth sessions list|revoke --user ID`: a user's sessions, named by their `id_hash` (the API's, the token's
/// SHA-256 in base64url). Tokens are never stored, so never printed.
public enum SessionAdmin {
    typealias Failure = UserCommands.Failure

    /// `[{id_hash, created_at, last_used_at, ip, user_agent, desktop, expired}]`, most recently used first. A
    /// session past its idle or absolute lifetime (`expired`) is refused already and awaits the sweep.
    public static func list(config: Config, user reference: String) throws(UserCommands.Failure) -> String {
        let expiry = config.sessionExpiry
        return try Admin.run(config) { database in
            let now = Clock.wallMilliseconds()
            let sessions = try database.read { db in try SessionStore.list(userID: try Admin.user(reference, in: db).id, in: db) }
            return .array(sessions.map { s in
                JSONValue.object([
                    ("id_hash", .string(s.idHash)), ("created_at", Admin.time(s.createdAt)), ("last_used_at", Admin.time(s.lastUsedAt)),
                    ("ip", s.clientIP.map(JSONValue.string) ?? .null), ("user_agent", s.userAgent.map(JSONValue.string) ?? .null),
                    ("desktop", .bool(s.isDesktop)),
                    ("expired", .bool(expiry.isExpired(createdAt: s.createdAt, lastUsedAt: s.lastUsedAt, now: now))),
                ])
            })
        }
    }

    /// Ends one session of the user (`session`: its id_hash) or all of them, on every server at once. Needs `yes`.
    public static func revoke(config: Config, user reference: String, session: String? = nil, yes: Bool)
        throws(UserCommands.Failure) -> String {
        let hash = try session.map { text throws(Failure) -> [UInt8] in
            guard let bytes = Base64URL.decode(text), bytes.count == 32 else {
                throw .invalid("session: must be a session's id_hash (43 base64url characters, see `sessions list`)")
            }
            return bytes
        }
        return try Admin.run(config) { database in
            let (user, sessions) = try database.read { db in
                let user = try Admin.user(reference, in: db)
                return (user, try SessionStore.list(userID: user.id, in: db))
            }
            if let hash {
                guard sessions.contains(where: { $0.hash == hash }) else {
                    throw Failure.invalid("session \(SessionToken.idHash(hash)): no session of \(Admin.describe(user)) has that id_hash")
                }
                try Admin.confirm(yes, "sessions revoke: would end session \(SessionToken.idHash(hash)) of \(Admin.describe(user))")
            } else {
                try Admin.confirm(yes, "sessions revoke: would end all \(sessions.count) session(s) of \(Admin.describe(user))")
            }
            let now = Clock.wallMilliseconds()
            let revoked = try Admin.write(database) { db, invalidations -> Int in
                if let hash {
                    let removed = try SessionStore.revoke(hashes: [hash], ofUser: user.id, in: db)
                    invalidations.credentials.append(hash)
                    if removed > 0 { try Admin.audit("session.revoke", userID: user.id, detail: "one", now: now, in: db) }
                    return removed
                }
                let removed = try SessionStore.revokeAll(userID: user.id, in: db)
                invalidations.users.append(user.id)
                try Admin.audit("session.revoke", userID: user.id, detail: "all", now: now, in: db)
                return removed
            }
            return .object([("user_id", Admin.id(user.id)), ("sessions_revoked", .int(Int64(revoked)))])
        }
    }
}
