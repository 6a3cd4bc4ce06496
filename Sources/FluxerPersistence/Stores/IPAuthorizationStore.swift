import FluxerDomain
import SQLite

/// SQL for IP authorization (`authorized_ips`, `ip_authorizations`): the networks an account signs in from, as
/// keyed hashes, and the logins waiting for the emailed link. Every function runs inside the caller's
/// transaction; single use (the link, the poll's result) is decided by the statement, so it holds across nodes.
package enum IPAuthorizationStore: IPAuthorizationStorage {
    // MARK: - Authorized networks

    /// Whether `ipKey` is one of the user's authorized networks.
    package static func isAuthorized(userID: UInt64, ipKey: [UInt8], in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT 1 AS found FROM authorized_ips WHERE user_id = ? AND ip_key = ?", Int64(bitPattern: userID), ipKey) != nil
    }

    /// Records an authorized network (idempotent).
    package static func authorize(userID: UInt64, ipKey: [UInt8], now: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO authorized_ips (user_id, ip_key, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id, ip_key) DO NOTHING
            """, Int64(bitPattern: userID), ipKey, now)
    }

    /// Forgets every authorized network of the user, and the logins still waiting for a link (one opened later
    /// would authorize a network again); returns how many networks went.
    @discardableResult
    package static func forgetAll(userID: UInt64, in db: SQLTransaction) throws -> Int {
        try deletePending(userID: userID, in: db)
        return try db.run("DELETE FROM authorized_ips WHERE user_id = ?", Int64(bitPattern: userID))
    }

    // MARK: - Logins waiting for the link

    package typealias Pending = PendingIPAuthorization

    /// Stores a waiting login under the hashes of its ticket and of the emailed token.
    package static func insertPending(ticketHash: [UInt8], tokenHash: [UInt8], userID: UInt64, ipKey: [UInt8], clientIP: String,
                                      now: Int64, ticketExpiresAt: Int64, expiresAt: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO ip_authorizations (ticket_hash, token_hash, user_id, ip_key, client_ip, created_at, ticket_expires_at, resent, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, ticketHash, tokenHash, Int64(bitPattern: userID), ipKey, String(clientIP.prefix(64)), now, ticketExpiresAt, false, expiresAt)
    }

    /// The waiting login of a ticket, with its user's email and name; nil when unknown.
    package static func pending(ticketHash: [UInt8], in db: SQLTransaction) throws -> Pending? {
        guard let row = try db.queryOne("""
            SELECT a.user_id, u.email, u.username, a.client_ip, a.created_at, a.ticket_expires_at, a.resent, a.authorized_at, a.expires_at
            FROM ip_authorizations a JOIN users u ON u.id = a.user_id WHERE a.ticket_hash = ?
            """, ticketHash),
              let userID = row.int("user_id"), let created = row.int("created_at"), let ticketExpires = row.int("ticket_expires_at"),
              let expires = row.int("expires_at")
        else { return nil }
        return Pending(userID: UInt64(bitPattern: userID), email: row.string("email"), username: row.string("username") ?? "",
                       clientIP: row.string("client_ip") ?? "", createdAt: created, ticketExpiresAt: ticketExpires,
                       resent: row.bool("resent") ?? false, authorizedAt: row.int("authorized_at"), expiresAt: expires)
    }

    package typealias Approval = IPAuthorizationApproval

    /// Spends a live emailed token: of two requests racing with one link (on any node) exactly one gets the
    /// approval. A login still waiting keeps its row `resultLifetime` more for the poll; otherwise the row is
    /// left expired for the sweep.
    package static func approve(tokenHash: [UInt8], now: Int64, resultLifetime: Int64, in db: SQLTransaction) throws -> Approval? {
        guard let row = try db.queryOne("""
            UPDATE ip_authorizations
            SET token_hash = NULL, authorized_at = ?, expires_at = CASE WHEN ticket_expires_at > ? THEN ? ELSE ? END
            WHERE token_hash = ? AND authorized_at IS NULL AND expires_at > ?
            RETURNING user_id, ip_key, ticket_expires_at
            """, now, now, now + resultLifetime, now, tokenHash, now),
              let userID = row.int("user_id"), let ipKey = row.blob("ip_key"), let ticketExpires = row.int("ticket_expires_at")
        else { return nil }
        return Approval(userID: UInt64(bitPattern: userID), ipKey: ipKey, isTicketLive: ticketExpires > now)
    }

    /// Takes an approved login's result: deletes the row and returns its user, once (the statement decides).
    package static func claimResult(ticketHash: [UInt8], now: Int64, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("""
            DELETE FROM ip_authorizations WHERE ticket_hash = ? AND authorized_at IS NOT NULL AND expires_at > ? RETURNING user_id
            """, ticketHash, now)?.int("user_id").map { UInt64(bitPattern: $0) }
    }

    /// The one resend: replaces the emailed token (the first link stops working) when the login still waits,
    /// has not been resent and was created at or before `createdNotAfter`; false when another request got there first.
    package static func replaceToken(ticketHash: [UInt8], tokenHash: [UInt8], now: Int64, createdNotAfter: Int64, expiresAt: Int64,
                                     in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE ip_authorizations SET token_hash = ?, resent = ?, expires_at = ?
            WHERE ticket_hash = ? AND resent = ? AND authorized_at IS NULL AND ticket_expires_at > ? AND created_at <= ?
            """, tokenHash, true, expiresAt, ticketHash, false, now, createdNotAfter) == 1
    }

    /// Deletes the user's logins waiting for IP authorization (a password set or changed, networks forgotten).
    package static func deletePending(userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM ip_authorizations WHERE user_id = ?", Int64(bitPattern: userID))
    }
}
