import FluxerCrypto
import SQLite
import FluxerDomain

/// SQL for WebAuthn: registered credentials and outstanding challenges (stored as SHA-256 of the challenge).
/// Every function runs inside the caller's transaction. A challenge is spent by the `DELETE … RETURNING` that
/// reads it, so it serves one attempt whatever that attempt's outcome (WA-02), even under concurrency.
package enum WebAuthnStore: WebAuthnStorage {
    // MARK: - Challenges

    /// Deletes challenges that have expired.
    package static func deleteExpiredChallenges(now: Int64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM webauthn_challenges WHERE expires_at <= ?", now)
    }

    /// Stores a challenge for a signed-in user (`register`, `sudo`) or for an MFA login ticket (`login`).
    package static func insertChallenge(hash: [UInt8], userID: UInt64, purpose: String, ticketHash: [UInt8]?, expiresAt: Int64,
                                in db: SQLTransaction) throws {
        try db.run("INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, ticket_hash, expires_at) VALUES (?, ?, ?, ?, ?)",
                   hash, Int64(bitPattern: userID), purpose, ticketHash, expiresAt)
    }

    package typealias SpentChallenge = SpentWebAuthnChallenge

    /// Spends the user's challenge for `purpose`; nil when unknown, foreign or expired (an expired one is spent
    /// all the same).
    package static func consumeChallenge(hash: [UInt8], purpose: String, userID: UInt64, now: Int64, in db: SQLTransaction) throws -> SpentChallenge? {
        guard let row = try db.queryOne("""
            DELETE FROM webauthn_challenges WHERE challenge_hash = ? AND user_id = ? AND purpose = ?
            RETURNING expires_at, ticket_hash
            """, hash, Int64(bitPattern: userID), purpose),
              (row.int("expires_at") ?? 0) > now
        else { return nil }
        return SpentChallenge(ticketHash: row.blob("ticket_hash"))
    }

    /// Outstanding challenges issued to one client (IPv4 address, IPv6 /64).
    package static func pendingChallenges(clientKey: String, now: Int64, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT count(*) AS n FROM webauthn_challenges WHERE client_key = ? AND expires_at > ?", clientKey, now)?
            .int("n") ?? 0
    }

    /// Outstanding passkey (usernameless) challenges, all clients together.
    package static func pendingPasskeyChallenges(now: Int64, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT count(*) AS n FROM webauthn_challenges WHERE purpose = 'passkey' AND expires_at > ?", now)?
            .int("n") ?? 0
    }

    /// Stores a passkey challenge: no user yet, counted against `clientKey`.
    package static func insertPasskeyChallenge(hash: [UInt8], expiresAt: Int64, clientKey: String, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, ticket_hash, expires_at, client_key) VALUES (?, NULL, 'passkey', NULL, ?, ?)
            """, hash, expiresAt, clientKey)
    }

    /// Spends a passkey challenge; false when unknown or expired (an expired one is spent all the same).
    package static func consumePasskeyChallenge(hash: [UInt8], now: Int64, in db: SQLTransaction) throws -> Bool {
        guard let row = try db.queryOne("""
            DELETE FROM webauthn_challenges WHERE challenge_hash = ? AND purpose = 'passkey' AND user_id IS NULL
            RETURNING expires_at
            """, hash)
        else { return false }
        return (row.int("expires_at") ?? 0) > now
    }

    // MARK: - Credentials

    /// The ids of the user's credentials, oldest first (`allowCredentials`, `excludeCredentials`).
    package static func credentialIDs(userID: UInt64, in db: SQLTransaction) throws -> [[UInt8]] {
        try db.query("SELECT credential_id FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at", Int64(bitPattern: userID))
            .compactMap { $0.blob("credential_id") }
    }

    /// Whether a credential id is registered to anyone (WebAuthn §7.1 step 22).
    package static func credentialExists(id: [UInt8], in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT 1 FROM webauthn_credentials WHERE credential_id = ?", id) != nil
    }

    package static func insertCredential(_ credential: RegisteredCredential, userID: UInt64, name: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO webauthn_credentials (credential_id, user_id, name, public_key, algorithm, sign_count, aaguid, created_at,
                                              backup_eligible)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, credential.credentialID, Int64(bitPattern: userID), name, credential.publicKeyCBOR,
            Int64(credential.publicKey.algorithm), Int64(credential.signCount), credential.aaguid, now,
            credential.backupEligible)
    }

    package typealias CredentialSummary = WebAuthnCredentialSummary

    /// The user's credentials, oldest first.
    package static func credentials(userID: UInt64, in db: SQLTransaction) throws -> [CredentialSummary] {
        try db.query("""
            SELECT credential_id, name, created_at, last_used_at FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at
            """, Int64(bitPattern: userID)).map { row in
            CredentialSummary(id: row.blob("credential_id") ?? [], name: row.string("name") ?? "", createdAt: row.int("created_at") ?? 0,
                              lastUsedAt: row.int("last_used_at"))
        }
    }

    /// Renames one of the user's credentials; false when the user has no such credential.
    package static func rename(credentialID: [UInt8], userID: UInt64, name: String, in db: SQLTransaction) throws -> Bool {
        try db.run("UPDATE webauthn_credentials SET name = ? WHERE credential_id = ? AND user_id = ?",
                   name, credentialID, Int64(bitPattern: userID)) == 1
    }

    /// Deletes one of the user's credentials; false when the user has no such credential.
    package static func delete(credentialID: [UInt8], userID: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.run("DELETE FROM webauthn_credentials WHERE credential_id = ? AND user_id = ?", credentialID, Int64(bitPattern: userID)) == 1
    }

    package typealias StoredKey = StoredWebAuthnKey

    /// The stored key of the user's credential `credentialID`.
    package static func storedKey(credentialID: [UInt8], userID: UInt64, in db: SQLTransaction) throws -> StoredKey? {
        guard let row = try db.queryOne("""
            SELECT public_key, sign_count, backup_eligible FROM webauthn_credentials WHERE credential_id = ? AND user_id = ?
            """, credentialID, Int64(bitPattern: userID)),
              let key = row.blob("public_key")
        else { return nil }
        return StoredKey(publicKey: key, signCount: UInt32(truncatingIfNeeded: row.int("sign_count") ?? 0), backupEligible: row.bool("backup_eligible"))
    }

    /// The owner of a credential (usernameless sign-in: the credential names the account).
    package static func owner(credentialID: [UInt8], in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("SELECT user_id FROM webauthn_credentials WHERE credential_id = ?", credentialID)?.int("user_id")
            .map { UInt64(bitPattern: $0) }
    }

    /// Flags a credential whose sign count did not move forward (WA-12).
    package static func recordPossibleClone(credentialID: [UInt8], now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE webauthn_credentials SET clone_warning_at = ? WHERE credential_id = ?", now, credentialID)
    }

    /// Records an accepted assertion: the new sign count, the time, and BE when it was not known yet.
    package static func recordUse(credentialID: [UInt8], signCount: UInt32, backupEligible: Bool?, now: Int64, in db: SQLTransaction) throws {
        try db.run("""
            UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ?, backup_eligible = coalesce(backup_eligible, ?) WHERE credential_id = ?
            """, Int64(signCount), now, backupEligible, credentialID)
    }
}
