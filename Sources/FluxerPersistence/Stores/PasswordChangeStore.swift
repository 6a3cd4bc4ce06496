import FluxerDomain
import SQLite

/// SQL for password changes in progress (`password_change_tickets`): a ticket (SHA-256), the emailed code (a keyed
/// hash), its proof (SHA-256). Every function runs inside the caller's transaction; each step's single use is
/// decided by a conditional UPDATE and its row count, so it holds across nodes.
package enum PasswordChangeStore: PasswordChangeStorage {
    package typealias Ticket = PasswordChangeTicket

    /// Stores a new ticket with its first code.
    package static func insert(ticketHash: [UInt8], userID: UInt64, codeHash: [UInt8], now: Int64, codeExpiresAt: Int64, expiresAt: Int64,
                               in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO password_change_tickets (ticket_hash, user_id, status, code_hash, code_sent_at, code_expires_at, code_failures, created_at, expires_at)
            VALUES (?, ?, 'pending', ?, ?, ?, 0, ?, ?)
            """, ticketHash, Int64(bitPattern: userID), codeHash, now, codeExpiresAt, now, expiresAt)
    }

    /// The ticket stored under `ticketHash`; nil when unknown.
    package static func ticket(hash ticketHash: [UInt8], in db: SQLTransaction) throws -> Ticket? {
        guard let row = try db.queryOne("""
            SELECT user_id, status, code_hash, code_sent_at, code_expires_at, code_failures, proof_hash, expires_at
            FROM password_change_tickets WHERE ticket_hash = ?
            """, ticketHash),
              let userID = row.int("user_id"), let status = row.string("status"), let sent = row.int("code_sent_at"),
              let codeExpires = row.int("code_expires_at"), let expires = row.int("expires_at")
        else { return nil }
        return Ticket(userID: UInt64(bitPattern: userID), status: status, codeHash: row.blob("code_hash"), codeSentAt: sent,
                      codeExpiresAt: codeExpires, codeFailures: row.int("code_failures") ?? 0, proofHash: row.blob("proof_hash"),
                      expiresAt: expires)
    }

    /// Counts a wrong code against a pending ticket.
    package static func recordCodeFailure(ticketHash: [UInt8], in db: SQLTransaction) throws {
        try db.run("UPDATE password_change_tickets SET code_failures = code_failures + 1 WHERE ticket_hash = ? AND status = 'pending'", ticketHash)
    }

    /// Spends the code: the ticket becomes verified with the proof's hash when it is still pending with this code,
    /// fewer than `maxFailures` wrong tries and the code and ticket unexpired; false when another request spent it.
    package static func verify(ticketHash: [UInt8], userID: UInt64, codeHash: [UInt8], proofHash: [UInt8], maxFailures: Int64, now: Int64,
                               in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE password_change_tickets SET status = 'verified', code_hash = NULL, proof_hash = ?
            WHERE ticket_hash = ? AND user_id = ? AND status = 'pending' AND code_hash = ? AND code_failures < ?
              AND code_expires_at > ? AND expires_at > ?
            """, proofHash, ticketHash, Int64(bitPattern: userID), codeHash, maxFailures, now, now) == 1
    }

    /// A new code for a pending ticket whose last code went out at or before `sentNotAfter`; false otherwise.
    package static func replaceCode(ticketHash: [UInt8], userID: UInt64, codeHash: [UInt8], now: Int64, codeExpiresAt: Int64,
                                    sentNotAfter: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE password_change_tickets SET code_hash = ?, code_sent_at = ?, code_expires_at = ?, code_failures = 0
            WHERE ticket_hash = ? AND user_id = ? AND status = 'pending' AND code_sent_at <= ? AND expires_at > ?
            """, codeHash, now, codeExpiresAt, ticketHash, Int64(bitPattern: userID), sentNotAfter, now) == 1
    }

    /// Spends the proof: the ticket becomes completed when it is still verified with this proof and unexpired;
    /// false when another request completed it first.
    package static func complete(ticketHash: [UInt8], userID: UInt64, proofHash: [UInt8], now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("""
            UPDATE password_change_tickets SET status = 'completed', proof_hash = NULL
            WHERE ticket_hash = ? AND user_id = ? AND status = 'verified' AND proof_hash = ? AND expires_at > ?
            """, ticketHash, Int64(bitPattern: userID), proofHash, now) == 1
    }

    /// Deletes the user's tickets other than `keeping` (a password set another way, or this change done).
    package static func deleteTickets(userID: UInt64, keeping ticketHash: [UInt8]? = nil, in db: SQLTransaction) throws {
        if let ticketHash {
            try db.run("DELETE FROM password_change_tickets WHERE user_id = ? AND ticket_hash <> ?", Int64(bitPattern: userID), ticketHash)
        } else {
            try db.run("DELETE FROM password_change_tickets WHERE user_id = ?", Int64(bitPattern: userID))
        }
    }
}
