/// Rows in every table family, written as the stores write them (snowflake ids past 2^53, unix-ms times, Swift
/// Bools, byte hashes), run unchanged on both backends.
///
/// Alice owns an application (whose bot user is Alicebot) and a guild; Bob consented to the application, holds
/// a code and a token family from it, and is a member of Alice's guild.
enum SchemaScenario {
    static let alice: Int64 = 1_300_000_000_000_000_001
    static let aliceBot: Int64 = alice + 1  // also the application id
    static let bob: Int64 = alice + 2
    static let guild: Int64 = alice + 10
    static let family: Int64 = alice + 20
    static let firstMessage: Int64 = alice + 30
    static let now: Int64 = 1_767_225_600_000

    /// 32 bytes standing in for a SHA-256, distinct per seed, with a zero byte and high bytes in it.
    static func hash(_ seed: UInt8) -> [UInt8] {
        [0, 0xFF, seed] + (3..<32).map { UInt8($0) }
    }

    static let rows: [PortableStatement] = [
        PortableStatement("INSERT INTO instance (key, value) VALUES ($1, $2)", .text("installation_id"), .text("schema-test")),

        // Accounts.
        PortableStatement(
            """
            INSERT INTO users (id, username, discriminator, global_name, email, email_key, verified, password_hash,
                               password_changed_at, created_at, totp_secret, sms_mfa_enabled)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """,
            .int(alice), .text("Alice"), .int(1), .text("Alice A."), .text("Alice@Example.com"), .text("alice@example.com"),
            .bool(true), .text("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"), .int(now), .int(now),
            .bytes(hash(1)), .bool(true)),
        PortableStatement(
            "INSERT INTO users (id, username, discriminator, bot, created_at) VALUES ($1, $2, $3, $4, $5)",
            .int(aliceBot), .text("alicebot"), .int(0), .bool(true), .int(now)),
        PortableStatement(
            "INSERT INTO users (id, username, discriminator, email, email_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            .int(bob), .text("bob"), .int(9999), .text("bob@example.com"), .text("bob@example.com"), .int(now)),
        PortableStatement(
            """
            INSERT INTO sessions (id_hash, user_id, created_at, last_used_at, client_ip, user_agent, is_desktop)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .bytes(hash(2)), .int(alice), .int(now), .int(now), .text("2001:db8::1"), .text("curl/8"), .bool(true)),
        PortableStatement(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(3)), .int(bob), .int(now), .int(now)),
        PortableStatement(
            """
            INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .bytes(hash(4)), .int(alice), .text("verify_email"), .text("Alice@Example.com"), .int(now), .int(now + 86_400_000)),
        PortableStatement(
            "INSERT INTO rate_limits (key, tat) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
            .text("login:ip:192.0.2.1"), .int(now)),
        PortableStatement(
            "INSERT INTO rate_limits (key, tat) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
            .text("login:ip:192.0.2.1"), .int(now + 500)),
        PortableStatement(
            """
            INSERT INTO outbox (id, channel, recipient, kind, subject, body, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            .int(firstMessage), .text("email"), .text("Alice@Example.com"), .text("verify_email"), .text("Verify"),
            .text("sealed:AAAA"), .int(now), .int(now)),
        PortableStatement(
            """
            INSERT INTO outbox (id, channel, recipient, kind, body, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .int(firstMessage + 1), .text("sms"), .text("+15555550100"), .text("sms_code"), .text("sealed:BBBB"),
            .int(now), .int(now)),
        PortableStatement(
            "UPDATE outbox SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2", .int(now + 1), .int(firstMessage + 1)),

        // Applications, guilds, OAuth2.
        PortableStatement(
            """
            INSERT INTO applications (id, owner_id, name, client_secret_hash, client_secret_created_at, bot_token_hash,
                                      bot_token_preview, bot_token_created_at, created_at, public_client)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            .int(aliceBot), .int(alice), .text("Alice's app"), .bytes(hash(5)), .int(now), .bytes(hash(6)), .text("abcd"),
            .int(now), .int(now), .bool(true)),
        PortableStatement(
            "INSERT INTO guilds (id, name, owner_id, created_at) VALUES ($1, $2, $3, $4)",
            .int(guild), .text("Alice's guild"), .int(alice), .int(now)),
        PortableStatement(
            "INSERT INTO guild_members (guild_id, user_id, permissions, joined_at) VALUES ($1, $2, $3, $4)",
            .int(guild), .int(alice), .int(1 << 40), .int(now)),
        PortableStatement(
            "INSERT INTO guild_members (guild_id, user_id, join_source, joined_at) VALUES ($1, $2, $3, $4)",
            .int(guild), .int(bob), .text("invite"), .int(now)),
        PortableStatement(
            """
            INSERT INTO oauth2_authorizations (application_id, user_id, scopes, authorized_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (application_id, user_id) DO UPDATE SET scopes = excluded.scopes, authorized_at = excluded.authorized_at
            """,
            .int(aliceBot), .int(bob), .text("email identify"), .int(now)),
        PortableStatement(
            """
            INSERT INTO oauth2_codes (code_hash, application_id, user_id, redirect_uri, redirect_given, scopes,
                                      code_challenge, created_at, expires_at, family_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            .bytes(hash(7)), .int(aliceBot), .int(bob), .text("https://app.example/cb"), .bool(true), .text("identify"),
            .text("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), .int(now), .int(now + 600_000), .int(family)),
        PortableStatement(
            "INSERT INTO oauth2_families (id, application_id, user_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
            .int(family), .int(aliceBot), .int(bob), .text("identify"), .int(now)),
        PortableStatement(
            """
            INSERT INTO oauth2_tokens (token_hash, kind, family_id, application_id, user_id, scopes, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            .bytes(hash(8)), .text("access"), .int(family), .int(aliceBot), .int(bob), .text("identify"), .int(now),
            .int(now + 604_800_000)),
        PortableStatement(
            """
            INSERT INTO oauth2_tokens (token_hash, kind, family_id, application_id, user_id, scopes, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            .bytes(hash(9)), .text("refresh"), .int(family), .int(aliceBot), .int(bob), .text("identify"), .int(now),
            .int(now + 2_592_000_000)),

        // MFA and WebAuthn.
        PortableStatement(
            """
            INSERT INTO mfa_pending_totp (user_id, secret, expires_at) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, expires_at = excluded.expires_at
            """,
            .int(alice), .bytes(hash(10)), .int(now + 600_000)),
        PortableStatement("INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES ($1, $2)", .int(alice), .bytes(hash(11))),
        PortableStatement(
            "INSERT INTO mfa_backup_codes (user_id, code_hash, consumed_at) VALUES ($1, $2, $3)",
            .int(alice), .bytes(hash(12)), .int(now)),
        PortableStatement(
            "INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at, context) VALUES ($1, $2, $3, $4, $5)",
            .bytes(hash(13)), .int(alice), .int(now), .int(now + 300_000), .text(#"{"ip":"192.0.2.1"}"#)),
        PortableStatement(
            """
            INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at, failed_attempts)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .int(alice), .text("login"), .text("ticket"), .bytes(hash(14)), .int(now), .int(now + 300_000), .int(0)),
        PortableStatement(
            "INSERT INTO phone_tokens (token_hash, user_id, phone, expires_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(15)), .int(alice), .text("+15555550100"), .int(now + 300_000)),
        PortableStatement(
            """
            INSERT INTO webauthn_credentials (credential_id, user_id, name, public_key, algorithm, sign_count, aaguid, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            .bytes(hash(16)), .int(alice), .text("YubiKey"), .bytes(hash(17)), .int(-7), .int(4_294_967_295),
            .bytes(Array(repeating: 0, count: 16)), .int(now)),
        PortableStatement(
            """
            INSERT INTO webauthn_credentials (credential_id, user_id, name, public_key, algorithm, created_at, backup_eligible)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .bytes(hash(18)), .int(bob), .text("Phone"), .bytes(hash(19)), .int(-257), .int(now), .bool(true)),
        PortableStatement(
            "INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(20)), .int(alice), .text("register"), .int(now + 300_000)),
        PortableStatement(
            "INSERT INTO webauthn_challenges (challenge_hash, purpose, expires_at, client_key) VALUES ($1, $2, $3, $4)",
            .bytes(hash(21)), .text("passkey"), .int(now + 300_000), .text("2001:db8::/64")),

        // Audit and SSO.
        PortableStatement(
            "INSERT INTO audit_events (at, event, outcome, user_id, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)",
            .int(now), .text("login.success"), .text("success"), .int(alice), .text("192.0.2.1"), .text("curl/8")),
        PortableStatement(
            "INSERT INTO audit_events (at, event, outcome, application_id, detail) VALUES ($1, $2, $3, $4, $5)",
            .int(now + 1), .text("token.reset"), .text("success"), .int(aliceBot), .text("bot_token")),
        PortableStatement(
            """
            INSERT INTO sso_states (state_hash, provider, nonce, verifier_sealed, redirect_to, expires_at, redirect_uri,
                                    browser_binding, client_ip, link_user_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            .bytes(hash(22)), .text("mock"), .text("n-0S6_WzA2Mj"), .bytes(hash(23)), .text("/app"), .int(now + 600_000),
            .text("http://127.0.0.1:8080/auth/sso/callback"), .bytes(hash(24)), .text("192.0.2.1"), .int(alice)),
        PortableStatement(
            """
            INSERT INTO sso_identities (issuer, subject, provider, user_id, email, created_at, last_login_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, last_login_at = excluded.last_login_at
            """,
            .text("https://idp.example"), .text("248289761001"), .text("mock"), .int(alice), .text("old@example.com"),
            .int(now), .int(now)),
        PortableStatement(
            """
            INSERT INTO sso_identities (issuer, subject, provider, user_id, email, created_at, last_login_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email, last_login_at = excluded.last_login_at
            """,
            .text("https://idp.example"), .text("248289761001"), .text("mock"), .int(alice), .text("alice@example.com"),
            .int(now), .int(now + 1)),
        PortableStatement(
            """
            INSERT INTO sso_completions (code_hash, provider, user_id, outcome, redirect_to, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .bytes(hash(25)), .text("bluesky"), .int(alice), .text("session"), .text("/app"), .int(now + 60_000)),
        PortableStatement("UPDATE sso_states SET callback_binding = $1 WHERE state_hash = $2", .bytes(hash(26)), .bytes(hash(22))),
        PortableStatement(
            "INSERT INTO atproto_client_keys (kid, private_key_sealed, created_at, retired_at) VALUES ($1, $2, $3, $4)",
            .text("k1"), .bytes(hash(27)), .int(now), .null),

        // IP authorization and password change (0015 / 0005): an authorized network (recorded twice, idempotent),
        // a login waiting for its (resent) link, and a password change whose code was verified.
        PortableStatement(
            "INSERT INTO authorized_ips (user_id, ip_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, ip_key) DO NOTHING",
            .int(alice), .bytes(hash(30)), .int(now)),
        PortableStatement(
            "INSERT INTO authorized_ips (user_id, ip_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, ip_key) DO NOTHING",
            .int(alice), .bytes(hash(30)), .int(now + 1)),
        PortableStatement(
            """
            INSERT INTO ip_authorizations (ticket_hash, token_hash, user_id, ip_key, client_ip, created_at, ticket_expires_at, resent, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            .bytes(hash(31)), .bytes(hash(32)), .int(alice), .bytes(hash(33)), .text("2001:db8::1"), .int(now), .int(now + 900_000),
            .bool(false), .int(now + 1_800_000)),
        PortableStatement(
            "UPDATE ip_authorizations SET resent = $1, expires_at = $2 WHERE ticket_hash = $3 AND resent = $4",
            .bool(true), .int(now + 1_830_000), .bytes(hash(31)), .bool(false)),
        PortableStatement(
            """
            INSERT INTO password_change_tickets (ticket_hash, user_id, status, code_hash, code_sent_at, code_expires_at, code_failures,
                                                 created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            .bytes(hash(34)), .int(bob), .text("pending"), .bytes(hash(35)), .int(now), .int(now + 600_000), .int(0), .int(now),
            .int(now + 1_800_000)),
        PortableStatement(
            "UPDATE password_change_tickets SET status = $1, code_hash = NULL, proof_hash = $2, code_failures = code_failures + 1 WHERE ticket_hash = $3",
            .text("verified"), .bytes(hash(36)), .bytes(hash(34))),
        // Desktop hand-overs (one pending, one completed by Alice's session), email change links, profile fields.
        PortableStatement(
            "INSERT INTO desktop_handoffs (code_hash, client_key, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(50)), .text("2001:db8::"), .int(now), .int(now + 300_000)),
        PortableStatement(
            """
            INSERT INTO desktop_handoffs (code_hash, client_key, session_hash, created_at, completed_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .bytes(hash(51)), .text("192.0.2.1"), .bytes(hash(2)), .int(now), .int(now + 1), .int(now + 300_000)),
        PortableStatement(
            """
            INSERT INTO email_change_tokens (token_hash, user_id, purpose, email, email_key, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .bytes(hash(52)), .int(alice), .text("email_revert"), .text("Old@Example.com"), .text("old@example.com"), .int(now),
            .int(now + 172_800_000)),
        PortableStatement("UPDATE users SET bio = $1, banner = $2 WHERE id = $3", .text("Hi\nthere"), .text("a_0123abcd"), .int(alice)),
        // Issue 16: a disabled account, an operator's audit row, a stored bot-token key and a logged invalidation.
        PortableStatement("UPDATE users SET disabled_at = $1 WHERE id = $2", .int(now), .int(bob)),
        PortableStatement("UPDATE audit_events SET actor = $1 WHERE id = (SELECT min(id) FROM audit_events)", .text("cli")),
        PortableStatement(
            "INSERT INTO bot_token_keys (kid, source, secret_sealed, fingerprint, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6)",
            .int(1), .text("database"), .bytes(hash(70)), .bytes(hash(71)), .int(now), .null),
        PortableStatement("INSERT INTO cache_invalidations (payload, created_at) VALUES ($1, $2)", .text("u1"), .int(now)),
    ]

    /// Rows per table after `rows`.
    static let countsAfterRows: [String: Int64] = [
        "instance": 1, "users": 3, "sessions": 2, "email_tokens": 1, "rate_limits": 1, "outbox": 2,
        "applications": 1, "guilds": 1, "guild_members": 2, "oauth2_authorizations": 1, "oauth2_codes": 1,
        "oauth2_families": 1, "oauth2_tokens": 2, "mfa_pending_totp": 1, "mfa_backup_codes": 2, "mfa_tickets": 1,
        "sms_codes": 1, "phone_tokens": 1, "webauthn_credentials": 2, "webauthn_challenges": 2, "audit_events": 2,
        "sso_states": 1, "sso_identities": 1, "sso_completions": 1, "atproto_client_keys": 1,
        "authorized_ips": 1, "ip_authorizations": 1, "password_change_tickets": 1,
        "desktop_handoffs": 2, "email_change_tokens": 1,
        "bot_token_keys": 1, "cache_invalidations": 1,
        // Every worker id has its row from the migration on; leases are taken by updating them.
        "worker_leases": 1024, "job_leases": 0,
    ]

    /// Deleting the application the way the server does (its bot user) takes the application and every grant,
    /// code and token of it; nothing of Alice's or Bob's own.
    static let deleteApplication = PortableStatement("DELETE FROM users WHERE id = $1 AND bot = TRUE", .int(aliceBot))
    static let countsAfterDeletingApplication = countsAfterRows.merging([
        "users": 2, "applications": 0, "oauth2_authorizations": 0, "oauth2_codes": 0, "oauth2_families": 0,
        "oauth2_tokens": 0,
    ]) { $1 }

    /// Deleting Alice takes everything hers (her guild with its members, her MFA, sessions, SSO identity) and
    /// keeps what has no foreign key (audit, outbox, limits, SSO states) and Bob's own rows.
    static let deleteAlice = PortableStatement("DELETE FROM users WHERE id = $1", .int(alice))
    static let countsAfterDeletingAlice = countsAfterDeletingApplication.merging([
        "users": 1, "sessions": 1, "email_tokens": 0, "guilds": 0, "guild_members": 0, "mfa_pending_totp": 0,
        "mfa_backup_codes": 0, "mfa_tickets": 0, "sms_codes": 0, "phone_tokens": 0, "webauthn_credentials": 1,
        "webauthn_challenges": 1, "sso_identities": 0, "sso_completions": 0, "authorized_ips": 0, "ip_authorizations": 0,
        // The completed hand-over goes with the session that vouched for it; the pending one belongs to no one.
        "desktop_handoffs": 1, "email_change_tokens": 0,
    ]) { $1 }

    /// Rows both backends refuse (CHECK, UNIQUE, NOT NULL and FOREIGN KEY constraints), each tried alone after
    /// `rows`.
    static let refused: [(reason: String, statement: PortableStatement)] = [
        ("worker id past 10 bits", PortableStatement(
            "INSERT INTO worker_leases (worker_id) VALUES ($1)", .int(1024))),
        ("discriminator above 9999", PortableStatement(
            "INSERT INTO users (id, username, discriminator, created_at) VALUES ($1, $2, $3, $4)",
            .int(alice + 100), .text("carol"), .int(10_000), .int(now))),
        ("the same username (any case) and discriminator", PortableStatement(
            "INSERT INTO users (id, username, discriminator, created_at) VALUES ($1, $2, $3, $4)",
            .int(alice + 100), .text("ALICE"), .int(1), .int(now))),
        ("an email key in use", PortableStatement(
            "INSERT INTO users (id, username, discriminator, email_key, created_at) VALUES ($1, $2, $3, $4, $5)",
            .int(alice + 100), .text("carol"), .int(2), .text("bob@example.com"), .int(now))),
        ("a user without a username", PortableStatement(
            "INSERT INTO users (id, username, discriminator, created_at) VALUES ($1, $2, $3, $4)",
            .int(alice + 100), .null, .int(2), .int(now))),
        ("a session of no user", PortableStatement(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(40)), .int(alice + 100), .int(now), .int(now))),
        ("an email token of an unknown purpose", PortableStatement(
            """
            INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .bytes(hash(41)), .int(alice), .text("login"), .text("a@b.c"), .int(now), .int(now))),
        ("an outbox channel other than email and sms", PortableStatement(
            "INSERT INTO outbox (id, channel, recipient, kind, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            .int(alice + 100), .text("fax"), .text("x"), .text("x"), .text("x"), .int(now), .int(now))),
        ("an application whose id is no user", PortableStatement(
            "INSERT INTO applications (id, owner_id, name, client_secret_hash, client_secret_created_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            .int(alice + 100), .int(alice), .text("x"), .bytes(hash(42)), .int(now), .int(now))),
        ("an OAuth2 token kind other than access and refresh", PortableStatement(
            """
            INSERT INTO oauth2_tokens (token_hash, kind, family_id, application_id, user_id, scopes, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            .bytes(hash(43)), .text("id"), .int(family), .int(aliceBot), .int(bob), .text("identify"), .int(now), .int(now))),
        ("the same backup code twice", PortableStatement(
            "INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES ($1, $2)", .int(alice), .bytes(hash(11)))),
        ("an SMS code of an unknown purpose", PortableStatement(
            """
            INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .int(alice), .text("reset"), .text("x"), .bytes(hash(44)), .int(now), .int(now))),
        ("a passkey challenge with a user", PortableStatement(
            "INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(45)), .int(alice), .text("passkey"), .int(now))),
        ("a login challenge without a user", PortableStatement(
            "INSERT INTO webauthn_challenges (challenge_hash, purpose, expires_at) VALUES ($1, $2, $3)",
            .bytes(hash(46)), .text("login"), .int(now))),
        ("a challenge of an unknown purpose", PortableStatement(
            "INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
            .bytes(hash(47)), .int(alice), .text("enrol"), .int(now))),
        ("an SSO completion with an unknown outcome", PortableStatement(
            "INSERT INTO sso_completions (code_hash, provider, user_id, outcome, redirect_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            .bytes(hash(28)), .text("mock"), .int(bob), .text("admin"), .text("/"), .int(now))),
        ("an SSO completion for no user", PortableStatement(
            "INSERT INTO sso_completions (code_hash, provider, user_id, outcome, redirect_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            .bytes(hash(29)), .text("mock"), .int(987_654_321), .text("session"), .text("/"), .int(now))),
        ("a password change ticket of an unknown status", PortableStatement(
            """
            INSERT INTO password_change_tickets (ticket_hash, user_id, status, code_sent_at, code_expires_at, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .bytes(hash(48)), .int(bob), .text("abandoned"), .int(now), .int(now), .int(now), .int(now))),
        ("a password change ticket of no user", PortableStatement(
            """
            INSERT INTO password_change_tickets (ticket_hash, user_id, status, code_sent_at, code_expires_at, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .bytes(hash(49)), .int(987_654_321), .text("pending"), .int(now), .int(now), .int(now), .int(now))),
        ("an emailed IP-authorization token in use", PortableStatement(
            """
            INSERT INTO ip_authorizations (ticket_hash, token_hash, user_id, ip_key, client_ip, created_at, ticket_expires_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            .bytes(hash(50)), .bytes(hash(32)), .int(bob), .bytes(hash(51)), .text("192.0.2.9"), .int(now), .int(now), .int(now))),
        ("an authorized network without its key", PortableStatement(
            "INSERT INTO authorized_ips (user_id, ip_key, created_at) VALUES ($1, $2, $3)", .int(bob), .null, .int(now))),
        ("a hand-over completed without its session", PortableStatement(
            "INSERT INTO desktop_handoffs (code_hash, client_key, created_at, completed_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            .bytes(hash(53)), .text("x"), .int(now), .int(now), .int(now))),
        ("a hand-over completed by no session", PortableStatement(
            """
            INSERT INTO desktop_handoffs (code_hash, client_key, session_hash, created_at, completed_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .bytes(hash(54)), .text("x"), .bytes(hash(55)), .int(now), .int(now), .int(now))),
        ("an email link of an unknown purpose", PortableStatement(
            """
            INSERT INTO email_change_tokens (token_hash, user_id, purpose, email, email_key, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            .bytes(hash(56)), .int(bob), .text("verify_email"), .text("a@b.c"), .text("a@b.c"), .int(now), .int(now))),
        ("the same (issuer, subject) inserted without an upsert", PortableStatement(
            """
            INSERT INTO sso_identities (issuer, subject, provider, user_id, created_at, last_login_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            .text("https://idp.example"), .text("248289761001"), .text("mock"), .int(bob), .int(now), .int(now))),
        ("a bot-token key id past 255", PortableStatement(
            "INSERT INTO bot_token_keys (kid, source, fingerprint, created_at) VALUES ($1, $2, $3, $4)",
            .int(256), .text("database"), .bytes(hash(72)), .int(now))),
        ("a bot-token key of an unknown source", PortableStatement(
            "INSERT INTO bot_token_keys (kid, source, fingerprint, created_at) VALUES ($1, $2, $3, $4)",
            .int(2), .text("env"), .bytes(hash(73)), .int(now))),
    ]
}
