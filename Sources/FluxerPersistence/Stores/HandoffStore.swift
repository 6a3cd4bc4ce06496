import FluxerDomain
import SQLite

/// SQL for desktop hand-overs (`desktop_handoffs`): a code the desktop asked for, completed by a signed-in
/// browser's session, picked up once by the desktop. Codes are keyed by their HMAC (`HandoffRoutes`); every
/// function runs inside the caller's transaction, and single use is decided by the statements.
package enum HandoffStore: HandoffStorage {
    /// Stores a new pending code for `clientKey`; false when the hash is taken (the caller draws another code).
    package static func create(codeHash: [UInt8], clientKey: String, now: Int64, expiresAt: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            INSERT INTO desktop_handoffs (code_hash, client_key, created_at, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (code_hash) DO NOTHING
            """, codeHash, clientKey, now, expiresAt) == 1
    }

    package typealias State = HandoffState

    /// The state of a code as `clientKey` may see it; another client's code is `gone`.
    package static func state(codeHash: [UInt8], clientKey: String?, now: Int64, in db: SQLTransaction) throws -> State {
        guard let row = try db.queryOne("SELECT client_key, completed_at, expires_at FROM desktop_handoffs WHERE code_hash = ?", codeHash)
        else { return .gone }
        if let clientKey, row.string("client_key") != clientKey { return .gone }
        guard let expires = row.int("expires_at"), expires > now else { return .expired }
        return row.int("completed_at") == nil ? .pending : .completed
    }

    /// Completes a pending, unexpired code with the browser session that vouches for the hand-over; false when
    /// the code is not pending (unknown, expired, already completed): the UPDATE decides, so a code is
    /// completed once even when two browsers race.
    package static func complete(codeHash: [UInt8], sessionHash: [UInt8], now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE desktop_handoffs SET session_hash = ?, completed_at = ?
            WHERE code_hash = ? AND completed_at IS NULL AND expires_at > ?
            """, sessionHash, now, codeHash, now) == 1
    }

    /// Spends a completed, unexpired code of `clientKey` and returns the session that completed it; nil when
    /// there is nothing to pick up. The DELETE decides: one poll gets it, every later one finds nothing.
    package static func pickUp(codeHash: [UInt8], clientKey: String, now: Int64, in db: SQLTransaction) throws -> [UInt8]? {
        try db.queryOne("""
            DELETE FROM desktop_handoffs
            WHERE code_hash = ? AND client_key = ? AND completed_at IS NOT NULL AND expires_at > ?
            RETURNING session_hash
            """, codeHash, clientKey, now)?.blob("session_hash")
    }

    /// Deletes a code of `clientKey`, whatever its state; returns whether there was one.
    @discardableResult
    package static func cancel(codeHash: [UInt8], clientKey: String, in db: SQLTransaction) throws -> Bool {
        try db.run("DELETE FROM desktop_handoffs WHERE code_hash = ? AND client_key = ?", codeHash, clientKey) > 0
    }
}
