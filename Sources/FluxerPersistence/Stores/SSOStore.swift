import SQLite

/// SQL for single sign-on: sign-ins in progress (`sso_states`, stored as SHA-256 of the state) and provider
/// accounts linked to users (`sso_identities`). Every function runs inside the caller's transaction.
package enum SSOStore {
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

    /// A sign-in in progress.
    package struct State {
        package var provider: String
        package var nonce: String
        /// The PKCE verifier, sealed.
        package var verifierSealed: [UInt8]
        /// Where the person lands afterwards (a relative path; empty for the default).
        package var redirectTo: String
        package var expiresAt: Int64
        /// The callback the authorization request named (nil for states stored before it was kept).
        package var redirectURI: String?
        /// SHA-256 of the browser's binding cookie; nil when an API client completes the sign-in.
        package var browserBinding: [UInt8]?
        /// The signed-in user this sign-in links the provider account to.
        package var linkUserID: UInt64?
        /// The memberwise initializer, visible to the other targets of the package.
        package init(provider: String, nonce: String, verifierSealed: [UInt8], redirectTo: String, expiresAt: Int64, redirectURI: String?, browserBinding: [UInt8]?, linkUserID: UInt64?) {
            self.provider = provider
            self.nonce = nonce
            self.verifierSealed = verifierSealed
            self.redirectTo = redirectTo
            self.expiresAt = expiresAt
            self.redirectURI = redirectURI
            self.browserBinding = browserBinding
            self.linkUserID = linkUserID
        }
    }

    /// Stores a sign-in under SHA-256 of its state, counted against `clientKey`.
    package static func insertState(_ state: State, stateHash: [UInt8], clientKey: String, in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_states (state_hash, provider, nonce, verifier_sealed, redirect_to, expires_at, redirect_uri, browser_binding, client_ip,
                                    link_user_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, stateHash, state.provider, state.nonce, state.verifierSealed, state.redirectTo, state.expiresAt,
            state.redirectURI, state.browserBinding, clientKey, state.linkUserID.map { Int64(bitPattern: $0) })
    }

    /// Spends a sign-in: only the channel that started it (the same browser binding, or none) can. Expired
    /// states are spent and returned too; the caller checks `expiresAt`.
    package static func spendState(stateHash: [UInt8], browserBinding: [UInt8]?, in db: SQLTransaction) throws -> State? {
        guard let row = try db.queryOne("""
            DELETE FROM sso_states WHERE state_hash = ? AND browser_binding IS NOT DISTINCT FROM ?
            RETURNING provider, nonce, verifier_sealed, redirect_to, expires_at, redirect_uri, browser_binding, link_user_id
            """, stateHash, browserBinding),
              let provider = row.string("provider"), let nonce = row.string("nonce"), let sealed = row.blob("verifier_sealed")
        else { return nil }
        return State(provider: provider, nonce: nonce, verifierSealed: sealed, redirectTo: row.string("redirect_to") ?? "",
                     expiresAt: row.int("expires_at") ?? 0, redirectURI: row.string("redirect_uri"),
                     browserBinding: row.blob("browser_binding"), linkUserID: row.int("link_user_id").map { UInt64(bitPattern: $0) })
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
                     in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_identities (issuer, subject, provider, user_id, email, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email
            """, issuer, subject, provider, Int64(bitPattern: userID), email, now, now)
    }

    /// Records a sign-in through a provider account, linking it to the user when it was not yet.
    package static func recordSignIn(issuer: String, subject: String, provider: String, userID: UInt64, email: String?, now: Int64,
                             in db: SQLTransaction) throws {
        try db.run("""
            INSERT INTO sso_identities (issuer, subject, provider, user_id, email, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, last_login_at = excluded.last_login_at
            """, issuer, subject, provider, Int64(bitPattern: userID), email, now, now)
    }

    /// Updates the last sign-in time of a linked provider account.
    package static func touchLastLogin(issuer: String, subject: String, now: Int64, in db: SQLTransaction) throws {
        try db.run("UPDATE sso_identities SET last_login_at = ? WHERE issuer = ? AND subject = ?", now, issuer, subject)
    }
}
