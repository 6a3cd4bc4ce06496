import FluxerCrypto
import SQLite
import FluxerDomain

/// SQL for sessions; runs inside the caller's transaction. Revocations must be followed by the matching
/// `SessionCache` invalidation after commit (see `Accounts.write`).
package enum SessionStore: SessionStorage {
    /// Creates a session and returns its token (shown once; only its hash is stored). Refuses a disabled account
    /// in the same transaction, whichever sign-in path asked.
    package static func create(userID: UInt64, ip: String?, userAgent: String?, isDesktop: Bool, now: Int64, in db: SQLTransaction) throws -> String {
        if try db.queryOne("SELECT 1 AS disabled FROM users WHERE id = ? AND disabled_at IS NOT NULL", Int64(bitPattern: userID)) != nil {
            throw SessionRefusal.accountDisabled
        }
        let token = SessionToken.generate()
        try db.run("""
            INSERT INTO sessions (id_hash, user_id, created_at, last_used_at, client_ip, user_agent, is_desktop)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, SessionToken.hash(token), Int64(bitPattern: userID), now, now, ip, userAgent.map { String($0.prefix(512)) }, isDesktop)
        return token
    }

    /// The session and its user for a token hash: one indexed lookup.
    package static func lookup(hash: [UInt8], in db: SQLTransaction) throws -> (SessionRecord, User)? {
        let sql = """
            SELECT s.id_hash, s.user_id, s.created_at, s.last_used_at, s.client_ip, s.user_agent, s.is_desktop,
                   \(User.columns(alias: "u"))
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?
            """
        guard let row = try db.queryOne(sql, hash) else { return nil }
        return (SessionRecord(row: row), User(row: row))
    }

    /// When the session was created; nil when it no longer exists.
    package static func createdAt(hash: [UInt8], in db: SQLTransaction) throws -> Int64? {
        try db.queryOne("SELECT created_at FROM sessions WHERE id_hash = ?", hash)?.int("created_at")
    }

    /// A user's sessions, most recently used first.
    package static func list(userID: UInt64, in db: SQLTransaction) throws -> [SessionRecord] {
        try db.query("""
            SELECT id_hash, user_id, created_at, last_used_at, client_ip, user_agent, is_desktop
            FROM sessions WHERE user_id = ? ORDER BY last_used_at DESC, created_at DESC
            """, Int64(bitPattern: userID)).map(SessionRecord.init(row:))
    }

    /// Deletes one session; returns whether it existed.
    @discardableResult
    package static func revoke(hash: [UInt8], in db: SQLTransaction) throws -> Bool {
        try db.run("DELETE FROM sessions WHERE id_hash = ?", hash) > 0
    }

    /// Deletes those of `hashes` that belong to `userID` (others' sessions are never touched).
    package static func revoke(hashes: [[UInt8]], ofUser userID: UInt64, in db: SQLTransaction) throws -> Int {
        var removed = 0
        for hash in hashes {
            removed += try db.run("DELETE FROM sessions WHERE id_hash = ? AND user_id = ?", hash, Int64(bitPattern: userID))
        }
        return removed
    }

    /// Deletes every session of a user.
    @discardableResult
    package static func revokeAll(userID: UInt64, in db: SQLTransaction) throws -> Int {
        try db.run("DELETE FROM sessions WHERE user_id = ?", Int64(bitPattern: userID))
    }

    /// Deletes every session of a user but one (the caller's, after a password change: SE-09).
    @discardableResult
    package static func revokeAll(userID: UInt64, except kept: [UInt8], in db: SQLTransaction) throws -> Int {
        try db.run("DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", Int64(bitPattern: userID), kept)
    }

    /// Records use times (batched by `SessionTouchQueue`); never moves a time backwards.
    package static func touch(_ touches: [([UInt8], Int64)], in db: SQLTransaction) throws {
        for (hash, time) in touches {
            try db.run("UPDATE sessions SET last_used_at = ? WHERE id_hash = ? AND last_used_at < ?", time, hash, time)
        }
    }
}

extension SessionRecord {
    package init(row: SQLRow) {
        self.init(hash: row.blob("id_hash") ?? [],
                  userID: UInt64(bitPattern: row.int("user_id") ?? 0),
                  createdAt: row.int("created_at") ?? 0,
                  lastUsedAt: row.int("last_used_at") ?? 0,
                  clientIP: row.string("client_ip"),
                  userAgent: row.string("user_agent"),
                  isDesktop: row.bool("is_desktop") ?? false)
    }
}
