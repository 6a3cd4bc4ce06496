import FluxerCrypto
import SQLite
import FluxerDomain

/// SQL for the OAuth2 provider; every function runs inside the caller's transaction.
package enum OAuthStore: OAuthStorage {
    package static func insertCode(_ code: String, applicationID: UInt64, userID: UInt64, redirectURI: String, redirectGiven: Bool,
                           scopes: [OAuthScope], challenge: String?, now: Int64, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO oauth2_codes (code_hash, application_id, user_id, redirect_uri, redirect_given, scopes, code_challenge, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, OAuthSecret.hash(code), Int64(bitPattern: applicationID), Int64(bitPattern: userID), redirectURI, redirectGiven,
            OAuthScope.string(scopes), challenge, now, now + OAuthLifetime.code)
    }

    package static func findCode(_ code: String, in db: SQLTransaction) throws -> OAuthCodeRecord? {
        try db.queryOne("""
            SELECT application_id, user_id, redirect_uri, redirect_given, scopes, code_challenge, expires_at, used_at, family_id
            FROM oauth2_codes WHERE code_hash = ?
            """, OAuthSecret.hash(code)).map(OAuthCodeRecord.init(row:))
    }

    /// Marks a code used; false when another request got there first (single use under concurrency, AC-02).
    package static func markCodeUsed(_ code: String, familyID: Int64?, now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("UPDATE oauth2_codes SET used_at = ?, family_id = ? WHERE code_hash = ? AND used_at IS NULL",
                   now, familyID, OAuthSecret.hash(code)) == 1
    }

    /// Records the family a redeemed code started, so a replay of the code can revoke it (AC-01).
    package static func attachFamily(_ familyID: Int64, toCode code: String, in db: SQLTransaction) throws {
        _ = try db.run("UPDATE oauth2_codes SET family_id = ? WHERE code_hash = ?", familyID, OAuthSecret.hash(code))
    }

    package static func createFamily(id: Int64, applicationID: UInt64, userID: UInt64, scopes: [OAuthScope], now: Int64, in db: SQLTransaction) throws {
        try db.run("INSERT INTO oauth2_families (id, application_id, user_id, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
                   id, Int64(bitPattern: applicationID), Int64(bitPattern: userID), OAuthScope.string(scopes), now)
    }

    /// Issues an access and a refresh token in a family; neither outlives `grantEndsAt` (RT-06).
    package static func issue(familyID: Int64, applicationID: UInt64, userID: UInt64, scopes: [OAuthScope], grantEndsAt: Int64, now: Int64,
                      in db: SQLTransaction) throws -> IssuedTokens {
        let access = OAuthSecret.generate()
        let refresh = OAuthSecret.generate()
        let scopeText = OAuthScope.string(scopes)
        let accessExpiresAt = min(now + OAuthLifetime.access, grantEndsAt)
        for (token, kind, expiresAt) in [(access, "access", accessExpiresAt), (refresh, "refresh", min(now + OAuthLifetime.refresh, grantEndsAt))] {
            try db.run("""
                INSERT INTO oauth2_tokens (token_hash, kind, family_id, application_id, user_id, scopes, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, OAuthSecret.hash(token), kind, familyID, Int64(bitPattern: applicationID), Int64(bitPattern: userID), scopeText,
                now, expiresAt)
        }
        return IssuedTokens(accessToken: access, refreshToken: refresh, scopes: scopes, accessExpiresAt: accessExpiresAt,
                            accessExpiresIn: max(0, accessExpiresAt - now) / 1000)
    }

    /// The token a client presented (a form value), if it is one of ours; shape check and hash read it in place.
    package static func findToken(_ token: String, in db: SQLTransaction) throws -> OAuthTokenRecord? {
        guard OAuthSecret.isWellFormed(token) else { return nil }
        return try findToken(hash: OAuthSecret.hash(token), in: db)
    }

    /// The token stored under `hash` (SHA-256 of a well-formed token), with its family's state.
    package static func findToken(hash: [UInt8], in db: SQLTransaction) throws -> OAuthTokenRecord? {
        try db.queryOne("""
            SELECT t.token_hash, t.kind, t.family_id, t.application_id, t.user_id, t.scopes, t.created_at, t.expires_at, t.used_at,
                   f.revoked_at, f.created_at AS family_created_at
            FROM oauth2_tokens t JOIN oauth2_families f ON f.id = t.family_id WHERE t.token_hash = ?
            """, hash).map(OAuthTokenRecord.init(row:))
    }

    /// Marks a refresh token rotated; false when it already was (concurrent refresh, RT-03).
    package static func markRefreshUsed(_ hash: [UInt8], now: Int64, in db: SQLTransaction) throws -> Bool {
        try db.run("UPDATE oauth2_tokens SET used_at = ? WHERE token_hash = ? AND kind = 'refresh' AND used_at IS NULL", now, hash) == 1
    }

    /// Revokes a family: the family is marked and its tokens deleted. Returns the user id (for cache invalidation).
    @discardableResult
    package static func revokeFamily(_ familyID: Int64, reason: String, now: Int64, in db: SQLTransaction) throws -> UInt64? {
        let user = try db.queryOne("SELECT user_id FROM oauth2_families WHERE id = ?", familyID)?.int("user_id")
        try db.run("UPDATE oauth2_families SET revoked_at = coalesce(revoked_at, ?), revoke_reason = coalesce(revoke_reason, ?) WHERE id = ?",
                   now, reason, familyID)
        try db.run("DELETE FROM oauth2_tokens WHERE family_id = ?", familyID)
        return user.map { UInt64(bitPattern: $0) }
    }

    /// Revokes every family of a user for an application.
    package static func revokeAll(applicationID: UInt64, userID: UInt64, reason: String, now: Int64, in db: SQLTransaction) throws {
        let families = try db.query("SELECT id FROM oauth2_families WHERE application_id = ? AND user_id = ? AND revoked_at IS NULL",
                                    Int64(bitPattern: applicationID), Int64(bitPattern: userID))
        for family in families { try revokeFamily(family.int("id") ?? 0, reason: reason, now: now, in: db) }
    }

    /// Revokes every grant of a user, across applications (password reset: RFC 9700 §4.14.2, RT-07), and
    /// deletes the authorization codes not yet redeemed: one issued before the reset would otherwise start a
    /// new grant after it. Redeemed codes stay (a replay still revokes what they started).
    package static func revokeAll(userID: UInt64, reason: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE oauth2_families SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL",
                   now, reason, Int64(bitPattern: userID))
        try db.run("DELETE FROM oauth2_tokens WHERE user_id = ?", Int64(bitPattern: userID))
        try db.run("DELETE FROM oauth2_codes WHERE user_id = ? AND used_at IS NULL", Int64(bitPattern: userID))
    }

    /// Deletes a family's access tokens (superseded by a refresh); returns their hashes, which the caches must forget.
    package static func deleteAccessTokens(familyID: Int64, in db: SQLTransaction) throws -> [[UInt8]] {
        try db.query("DELETE FROM oauth2_tokens WHERE family_id = ? AND kind = 'access' RETURNING token_hash", familyID)
            .compactMap { $0.blob("token_hash") }
    }

    package static func deleteToken(_ hash: [UInt8], in db: SQLTransaction) throws {
        try db.run("DELETE FROM oauth2_tokens WHERE token_hash = ?", hash)
    }

    /// Records consent (scopes accumulate).
    package static func recordAuthorization(applicationID: UInt64, userID: UInt64, scopes: [OAuthScope], now: Int64, in db: SQLTransaction) throws {
        let existing = try authorization(applicationID: applicationID, userID: userID, in: db) ?? []
        let merged = OAuthScope.canonical(Array(Set(existing + scopes.filter { $0 != .bot })))
        try db.run("""
            INSERT INTO oauth2_authorizations (application_id, user_id, scopes, authorized_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (application_id, user_id) DO UPDATE SET scopes = excluded.scopes, authorized_at = excluded.authorized_at
            """, Int64(bitPattern: applicationID), Int64(bitPattern: userID), OAuthScope.string(merged), now)
    }

    /// A user's consents, most recent first.
    package static func authorizations(userID: UInt64, in db: SQLTransaction) throws -> [OAuthAuthorization] {
        try db.query("""
            SELECT a.application_id, a.scopes, a.authorized_at FROM oauth2_authorizations a
            WHERE a.user_id = ? ORDER BY a.authorized_at DESC
            """, Int64(bitPattern: userID)).map { row in
            OAuthAuthorization(applicationID: UInt64(bitPattern: row.int("application_id") ?? 0),
                               scopes: OAuthScope.stored(row.string("scopes") ?? ""), authorizedAt: row.int("authorized_at") ?? 0)
        }
    }

    /// Forgets a user's consent for an application.
    package static func deleteAuthorization(applicationID: UInt64, userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM oauth2_authorizations WHERE application_id = ? AND user_id = ?",
                   Int64(bitPattern: applicationID), Int64(bitPattern: userID))
    }

    /// Deletes the codes an application holds for a user that were never redeemed.
    package static func deleteUnusedCodes(applicationID: UInt64, userID: UInt64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM oauth2_codes WHERE application_id = ? AND user_id = ? AND used_at IS NULL",
                   Int64(bitPattern: applicationID), Int64(bitPattern: userID))
    }

    package static func authorization(applicationID: UInt64, userID: UInt64, in db: SQLTransaction) throws -> [OAuthScope]? {
        try db.queryOne("SELECT scopes FROM oauth2_authorizations WHERE application_id = ? AND user_id = ?",
                        Int64(bitPattern: applicationID), Int64(bitPattern: userID)).map { OAuthScope.stored($0.string("scopes") ?? "") }
    }
}

extension OAuthTokenRecord {
    package init(row: SQLRow) {
        self.init(hash: row.blob("token_hash") ?? [],
                  kind: row.string("kind") ?? "",
                  familyID: row.int("family_id") ?? 0,
                  applicationID: UInt64(bitPattern: row.int("application_id") ?? 0),
                  userID: UInt64(bitPattern: row.int("user_id") ?? 0),
                  scopes: OAuthScope.stored(row.string("scopes") ?? ""),
                  createdAt: row.int("created_at") ?? 0,
                  expiresAt: row.int("expires_at") ?? 0,
                  usedAt: row.int("used_at"),
                  familyRevoked: row.int("revoked_at") != nil,
                  familyCreatedAt: row.int("family_created_at") ?? 0)
    }
}

extension OAuthCodeRecord {
    package init(row: SQLRow) {
        self.init(applicationID: UInt64(bitPattern: row.int("application_id") ?? 0),
                  userID: UInt64(bitPattern: row.int("user_id") ?? 0),
                  redirectURI: row.string("redirect_uri") ?? "",
                  redirectGiven: row.bool("redirect_given") == true,
                  scopes: OAuthScope.stored(row.string("scopes") ?? ""),
                  codeChallenge: row.string("code_challenge"),
                  expiresAt: row.int("expires_at") ?? 0,
                  usedAt: row.int("used_at"),
                  familyID: row.int("family_id"))
    }
}
