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

    static func recordFailure(userID: UInt64, now: Int64, threshold: Int, in db: Connection) throws {
        let failures = Int(try db.queryOne("""
            UPDATE users SET mfa_failures = mfa_failures + 1 WHERE id = ? RETURNING mfa_failures
            """, Int64(bitPattern: userID))?.int("mfa_failures") ?? 0)
        if let lock = lockDuration(failures: failures, threshold: threshold) {
            try db.run("UPDATE users SET mfa_locked_until = ? WHERE id = ?", now + lock, Int64(bitPattern: userID))
        }
    }

    static func recordSuccess(userID: UInt64, in db: Connection) throws {
        try db.run("UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL WHERE id = ? AND (mfa_failures != 0 OR mfa_locked_until IS NOT NULL)",
                   Int64(bitPattern: userID))
    }
}
