import SQLite

/// Brute-force control per account (LG-01): every failed proof — password, TOTP, SMS or backup code — counts;
/// from the fifth, the account locks for a time that doubles with each further failure (30 s … 15 min). A new
/// SMS code does not reset the count; a successful proof does. A locked account answers exactly like a wrong
/// password (LG-03), after the same hashing work.
enum AccountLockout {
    static let firstLock: Int64 = 30_000
    static let maxLock: Int64 = 15 * 60_000

    /// The lock after `failures` consecutive failures, when `threshold` (failures that trigger the first lock;
    /// 0 disables locking) is reached.
    static func lockDuration(failures: Int, threshold: Int) -> Int64? {
        guard threshold > 0, failures >= threshold else { return nil }
        let exponent = min(failures - threshold, 10)
        return min(firstLock << Int64(exponent), maxLock)
    }

    /// Counts a failure unless the account is locked right now (decided on the stored state, not on a possibly
    /// cached `User`); false when it was locked and nothing changed.
    @discardableResult
    static func recordFailure(userID: UInt64, now: Int64, threshold: Int, in db: Connection) throws -> Bool {
        guard let row = try db.queryOne("""
            UPDATE users SET mfa_failures = mfa_failures + 1
            WHERE id = ? AND (mfa_locked_until IS NULL OR mfa_locked_until <= ?) RETURNING mfa_failures
            """, Int64(bitPattern: userID), now) else { return false }
        if let lock = lockDuration(failures: Int(row.int("mfa_failures") ?? 0), threshold: threshold) {
            try db.run("UPDATE users SET mfa_locked_until = ? WHERE id = ?", now + lock, Int64(bitPattern: userID))
        }
        return true
    }

    /// Whether the account is locked now, from the database (a session's cached `User` may predate the lock).
    static func isLocked(userID: UInt64, now: Int64, in db: Connection) throws -> Bool {
        (try db.queryOne("SELECT mfa_locked_until FROM users WHERE id = ?", Int64(bitPattern: userID))?.int("mfa_locked_until") ?? 0) > now
    }

    static func recordSuccess(userID: UInt64, in db: Connection) throws {
        try db.run("UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL WHERE id = ? AND (mfa_failures != 0 OR mfa_locked_until IS NOT NULL)",
                   Int64(bitPattern: userID))
    }
}
