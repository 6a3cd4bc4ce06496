import FluxerDomain
import SQLite

/// SQL for single sign-on: sign-ins in progress (`sso_states`, stored as SHA-256 of the state) and provider
/// accounts linked to users (`sso_identities`). Every function runs inside the caller's transaction.
package enum SSOStore: SSOStorage {
    // MARK: - Sign-ins in progress

    /// Deletes sign-ins whose state has expired.
    package static func deleteExpiredStates(now: Int64, in db: SQLTransaction) throws {
        try db.run("DELETE FROM sso_states WHERE expires_at <= ?", now)
    }

    /// Sign-ins in progress started by one client (IPv4 address, IPv6 /64).
    package static func pendingStates(clientKey: String, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT count(*) AS n FROM sso_states WHERE client_ip = ?", clientKey)?.int("n") ?? 0
    }

    /// Sign-ins in progress, all clients together.
    package static func pendingStates(in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT count(*) AS n FROM sso_states")?.int("n") ?? 0
    }

    package typealias State = SSOStateRecord

    /// Stores a sign-in under SHA-256 of its state, counted against `clientKey`.
    package static func insertState(_ state: State, stateHash: [UInt8], clientKey: String, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_states (state_hash, provider, nonce, verifier_sealed, redirect_to, expires_at, redirect_uri, browser_binding, client_ip,
                                    link_user_id, callback_binding, purpose)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, stateHash, state.provider, state.nonce, state.verifierSealed, state.redirectTo, state.expiresAt,
            state.redirectURI, state.browserBinding, clientKey, state.linkUserID.map { Int64(bitPattern: $0) }, state.callbackBinding,
            state.purpose)
    }

    /// Spends a sign-in: only the channel that started it (the same browser binding, or none) can. Expired
    /// states are spent and returned too; the caller checks `expiresAt`.
    package static func spendState(stateHash: [UInt8], browserBinding: [UInt8]?, in db: SQLTransaction) throws -> State? {
        guard let row = try db.queryOne("""
            DELETE FROM sso_states WHERE state_hash = ? AND browser_binding IS NOT DISTINCT FROM ?
            RETURNING provider, nonce, verifier_sealed, redirect_to, expires_at, redirect_uri, browser_binding, link_user_id, callback_binding,
                      purpose
            """, stateHash, browserBinding),
              let provider = row.string("provider"), let nonce = row.string("nonce"), let sealed = row.blob("verifier_sealed")
        else { return nil }
        return State(provider: provider, nonce: nonce, verifierSealed: sealed, redirectTo: row.string("redirect_to") ?? "",
                     expiresAt: row.int("expires_at") ?? 0, redirectURI: row.string("redirect_uri"),
                     browserBinding: row.blob("browser_binding"), linkUserID: row.int("link_user_id").map { UInt64(bitPattern: $0) },
                     callbackBinding: row.blob("callback_binding"), purpose: row.string("purpose"))
    }

    /// What a sign-in in progress is for (`connection` or nil), without spending it; nil too when there is none.
    package static func statePurpose(stateHash: [UInt8], in db: SQLTransaction) throws -> String? {
        try db.queryOne("SELECT purpose FROM sso_states WHERE state_hash = ?", stateHash)?.string("purpose")
    }

    /// Whether a sign-in in progress has this state and browser binding (without spending it).
    package static func hasState(stateHash: [UInt8], browserBinding: [UInt8], in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT 1 AS one FROM sso_states WHERE state_hash = ? AND browser_binding = ?", stateHash, browserBinding) != nil
    }

    // MARK: - Linked provider accounts

    /// Whether any provider account is linked to the user.
    package static func hasIdentity(userID: UInt64, in db: SQLTransaction) throws -> Bool {
        try db.queryOne("SELECT 1 FROM sso_identities WHERE user_id = ?", Int64(bitPattern: userID)) != nil
    }

    /// The user a provider account is linked to.
    package static func linkedUser(issuer: String, subject: String, in db: SQLTransaction) throws -> UInt64? {
        try db.queryOne("SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?", issuer, subject)?
            .int("user_id").map { UInt64(bitPattern: $0) }
    }

    /// Links a provider account to a user (an explicit link: the last sign-in time is left as it was).
    package static func link(issuer: String, subject: String, provider: String, userID: UInt64, email: String?, now: Int64,
                     handle: String? = nil, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_identities (issuer, subject, provider, user_id, email, created_at, last_login_at, handle) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, handle = excluded.handle
            """, issuer, subject, provider, Int64(bitPattern: userID), email, now, now, handle)
    }

    /// Records a sign-in through a provider account, linking it to the user when it was not yet.
    package static func recordSignIn(issuer: String, subject: String, provider: String, userID: UInt64, email: String?, now: Int64,
                             handle: String? = nil, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_identities (issuer, subject, provider, user_id, email, created_at, last_login_at, handle) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, last_login_at = excluded.last_login_at, handle = excluded.handle
            """, issuer, subject, provider, Int64(bitPattern: userID), email, now, now, handle)
    }

    package typealias LinkedIdentity = LinkedSSOIdentity

    /// The identities of `issuer` linked to a user, oldest first.
    package static func identities(userID: UInt64, issuer: String, in db: SQLTransaction) throws -> [LinkedIdentity] {
        try db.query("""
            SELECT subject, provider, handle, created_at FROM sso_identities WHERE user_id = ? AND issuer = ? ORDER BY created_at, subject
            """, Int64(bitPattern: userID), issuer).compactMap { row in
            guard let subject = row.string("subject"), let provider = row.string("provider") else { return nil }
            return LinkedIdentity(subject: subject, provider: provider, handle: row.string("handle"), createdAt: row.int("created_at") ?? 0)
        }
    }

    /// How many provider identities (of any issuer) a user has.
    package static func identityCount(userID: UInt64, in db: SQLTransaction) throws -> Int64 {
        try db.queryOne("SELECT COUNT(*) AS n FROM sso_identities WHERE user_id = ?", Int64(bitPattern: userID))?.int("n") ?? 0
    }

    /// Unlinks one identity from its user; false when the user has no such identity.
    package static func unlink(userID: UInt64, issuer: String, subject: String, in db: SQLTransaction) throws -> Bool {
        try db.queryOne("DELETE FROM sso_identities WHERE user_id = ? AND issuer = ? AND subject = ? RETURNING subject",
                        Int64(bitPattern: userID), issuer, subject) != nil
    }

    /// Updates the last sign-in time of a linked provider account.
    package static func touchLastLogin(issuer: String, subject: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE sso_identities SET last_login_at = ? WHERE issuer = ? AND subject = ?", now, issuer, subject)
    }

    // MARK: - Completion codes (GET /auth/sso/callback → POST /auth/sso/complete {code})

    package typealias Completion = SSOCompletion

    /// Stores a completion under SHA-256 of its code.
    package static func insertCompletion(_ completion: Completion, codeHash: [UInt8], in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_completions (code_hash, provider, user_id, outcome, redirect_to, expires_at) VALUES (?, ?, ?, ?, ?, ?)
            """, codeHash, completion.provider, Int64(bitPattern: completion.userID), completion.outcome, completion.redirectTo,
            completion.expiresAt)
    }

    /// Spends a completion code: the statement deletes it, so of two requests racing with one code (on any node)
    /// exactly one gets it. Expired codes are spent and returned too; the caller checks `expiresAt`.
    package static func spendCompletion(codeHash: [UInt8], in db: SQLTransaction) throws -> Completion? {
        guard let row = try db.queryOne("""
            DELETE FROM sso_completions WHERE code_hash = ? RETURNING provider, user_id, outcome, redirect_to, expires_at
            """, codeHash),
              let provider = row.string("provider"), let userID = row.int("user_id"), let outcome = row.string("outcome")
        else { return nil }
        return Completion(provider: provider, userID: UInt64(bitPattern: userID), outcome: outcome, redirectTo: row.string("redirect_to") ?? "",
                          expiresAt: row.int("expires_at") ?? 0)
    }

    // MARK: - AT Protocol client keys

    package typealias ATProtoKeyRow = FluxerDomain.ATProtoKeyRow

    /// The unretired keys, newest first (the first signs; all are published).
    package static func activeATProtoKeys(in db: SQLTransaction) throws -> [ATProtoKeyRow] {
        try db.query("SELECT kid, private_key_sealed, created_at FROM atproto_client_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid")
            .compactMap { row in
                guard let kid = row.string("kid"), let sealed = row.blob("private_key_sealed") else { return nil }
                return ATProtoKeyRow(kid: kid, privateKeySealed: sealed, createdAt: row.int("created_at") ?? 0)
            }
    }

    /// Stops publishing a key.
    package static func retireATProtoKey(kid: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE atproto_client_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", now, kid)
    }

    /// Adds a key unless one with its id exists.
    package static func insertATProtoKey(_ key: ATProtoKeyRow, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO atproto_client_keys (kid, private_key_sealed, created_at) VALUES (?, ?, ?) ON CONFLICT (kid) DO NOTHING
            """, key.kid, key.privateKeySealed, key.createdAt)
    }
}
