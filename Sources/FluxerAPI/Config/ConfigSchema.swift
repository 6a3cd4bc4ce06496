import HTTPClient
import FluxerCrypto
import HTTPServer
import Postgres
import FluxerDomain

/// One documented configuration key: its dotted name, environment variable, help text and how it applies.
package struct ConfigKey: Sendable {
    package let name: String
    package let environment: String
    package let help: String
    package let kind: Kind
    package let apply: @Sendable (inout Config, ConfigValue) throws(ConfigError) -> Void

    package enum Kind: Sendable { case string, integer, bool, list }
}

/// The configuration schema: every key the server understands. Unknown keys are errors (typos must not pass).
package enum ConfigSchema {
    package static let keys: [ConfigKey] = [
        string("server.host", env: "FLUXER_AUTH_HOST", "IPv4 or IPv6 literal to listen on") { c, v throws(ConfigError) in
            guard v.contains(".") || v.contains(":") else { throw ConfigError(key: "server.host", reason: "must be an IP literal such as 127.0.0.1 or ::1") }
            c.host = v
        },
        integer("server.port", env: "FLUXER_AUTH_PORT", "TCP port (0 picks a free port)", 0...65535) { c, v in c.port = UInt16(v) },
        list("server.listen", "extra listen addresses, e.g. [\"[::1]:8080\"]") { c, items throws(ConfigError) in
            c.extraListen = try items.map { item throws(ConfigError) in
                guard let address = parseListenAddress(item) else {
                    throw ConfigError(key: "server.listen", reason: "entries must look like 127.0.0.1:8080 or [::1]:8080")
                }
                return address
            }
        },
        string("server.public_url", env: "FLUXER_AUTH_PUBLIC_URL", "externally visible base URL (default http://host:port)") { c, v throws(ConfigError) in
            if v.isEmpty { c.publicURL = ""; return }
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw ConfigError(key: "server.public_url", reason: "must start with http:// or https://")
            }
            c.publicURL = v
        },
        integer("server.event_loops", "event loop threads; 0 = one per core", 0...256) { c, v in c.eventLoops = v },
        integer("server.workers", "handler threads; 0 = 4 per core (at least 8)", 0...1024) { c, v in c.workers = v },
        integer("server.max_connections", "concurrent connections before new ones get 503", 1...1_000_000) { c, v in c.http.maxConnections = v },
        integer("server.max_connections_per_ip", "concurrent connections from one IPv4 address or IPv6 /64 before its new ones get 503; 0 = no cap; trusted_proxies are exempt", 0...1_000_000) { c, v in
            c.http.maxConnectionsPerClient = v
        },
        integer("server.max_body_bytes", "largest request body (413 beyond)", 0...(64 << 20)) { c, v in c.http.maxBodyBytes = v },
        integer("server.max_request_line_bytes", "longest request-line (414 beyond)", 256...(64 << 10)) { c, v in c.http.maxRequestLineBytes = v },
        integer("server.max_header_bytes", "largest header section (431 beyond)", 1024...(256 << 10)) { c, v in c.http.maxHeaderBytes = v },
        integer("server.max_header_count", "most header fields (431 beyond)", 1...1000) { c, v in c.http.maxHeaderCount = v },
        integer("server.head_timeout_ms", "time to receive a complete head (408 beyond)", 100...600_000) { c, v in c.http.headTimeoutMilliseconds = v },
        integer("server.body_timeout_ms", "longest pause inside a body (408 beyond)", 100...600_000) { c, v in c.http.bodyIdleTimeoutMilliseconds = v },
        integer("server.request_timeout_ms", "a whole request must arrive within this, however slowly it trickles (408 beyond)", 1000...3_600_000) { c, v in c.http.requestTimeoutMilliseconds = v },
        integer("server.keepalive_timeout_ms", "idle keep-alive connections close after this", 100...3_600_000) { c, v in c.http.keepAliveTimeoutMilliseconds = v },
        integer("server.write_timeout_ms", "a client that reads nothing for this long is dropped", 100...600_000) { c, v in c.http.writeTimeoutMilliseconds = v },
        integer("server.shutdown_grace_ms", "how long shutdown waits for in-flight requests", 0...600_000) { c, v in c.shutdownGraceMilliseconds = v },
        string("database.path", env: "FLUXER_AUTH_DATABASE", "SQLite file (created 0600 with its directory)") { c, v throws(ConfigError) in
            guard !v.isEmpty else { throw ConfigError(key: "database.path", reason: "must not be empty") }
            c.databasePath = v
        },
        string("database.url", "PostgreSQL instead of SQLite: a libpq URI postgresql://user:pass@host:5432/db?sslmode=…; empty = SQLite") { c, v throws(ConfigError) in
            guard !v.isEmpty else { c.databaseURL = nil; return }
            do throws(PostgresError) {
                c.databaseURL = try PostgresURL(v)
            } catch {
                // The driver's reasons never quote the URL, so the password stays out of the message.
                throw ConfigError(key: "database.url", reason: error.message)
            }
        },
        integer("database.readers", "SQLite read connections", 1...64) { c, v in c.databaseReaders = v },
        integer("database.pool_size", "PostgreSQL connections per node (worker threads beyond it wait, then 503)", 1...1000) { c, v in c.databasePoolSize = v },
        integer("database.busy_timeout_ms", "wait for the write lock (SQLite) or a pooled connection (PostgreSQL) before answering 503", 0...60_000) { c, v in c.databaseBusyTimeoutMilliseconds = v },
        string("database.migrations_dir", "use these NNNN_name.sql files instead of the built-in migrations") { c, v in c.migrationsDirectory = v },
        string("security.secret_key", env: "FLUXER_AUTH_SECRET_KEY", "server secret: base64url of at least 32 random bytes") { c, v throws(ConfigError) in
            if v.isEmpty { c.secretKey = nil; return }
            guard let bytes = Base64URL.decode(v), bytes.count >= 32 else {
                throw ConfigError(key: "security.secret_key", reason: "must be unpadded base64url of at least 32 bytes (try: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')")
            }
            c.secretKey = bytes
        },
        integer("security.argon2_ops_limit", "argon2id passes (libsodium opslimit)", 1...10) { c, v in c.argon2OpsLimit = v },
        integer("security.argon2_memory_kib", "argon2id memory per hash in KiB (65536 = 64 MiB)", 8...(1 << 20)) { c, v in c.argon2MemoryKiB = v },
        integer("security.hash_threads", "password hashing threads; 0 = one per core", 0...256) { c, v in c.hashThreads = v },
        integer("security.session_cache_ttl_ms", "how long a validated session is answered from memory; 0 = off", 0...3_600_000) { c, v in c.sessionCacheTTLMilliseconds = v },
        duration("security.session_idle_timeout", "a session unused this long is over (ASVS 7.3.1)", minimum: 5 * 60_000) { c, v in
            c.sessionIdleTimeoutMilliseconds = v
        },
        duration("security.session_lifetime", "a session this old is over however recently used (ASVS 7.3.2)", minimum: 5 * 60_000) { c, v in
            c.sessionLifetimeMilliseconds = v
        },
        rate("ratelimit.login_email_ip", "login attempts per email address from one client IP (IPv6: /64)") { c, v in c.loginEmailIPLimit = v },
        rate("ratelimit.login_email", "login attempts per email address from all IPs together; keep it faster than login_email_ip") { c, v in
            c.loginEmailLimit = v
        },
        rate("ratelimit.login_ip", "login attempts per client IP") { c, v in c.loginIPLimit = v },
        rate("ratelimit.forgot_email_ip", "password-reset requests per email address from one client IP (IPv6: /64)") { c, v in
            c.forgotEmailIPLimit = v
        },
        rate("ratelimit.forgot_email", "password-reset requests per email address from all IPs together; keep it faster than forgot_email_ip") { c, v in
            c.forgotEmailLimit = v
        },
        rate("ratelimit.forgot_ip", "password-reset requests per client IP") { c, v in c.forgotIPLimit = v },
        bool("security.ip_authorization", "a password login (users without MFA) from a network the account was never authorized from answers 403 IP_AUTHORIZATION_REQUIRED and emails an approval link") { c, v in
            c.ipAuthorization = v
        },
        bool("security.password_blocklist", "refuse common, repetitive, sequential and context-derived passwords when one is set") { c, v in
            c.passwordBlocklist = v
        },
        integer("security.lockout_threshold", "failed passwords/codes within lockout_window_ms that lock an account (LG-01, at most 100); 0 = off",
                0...100) { c, v in c.lockoutThreshold = v },
        integer("security.lockout_window_ms", "the lockout window: one failure is forgotten every window/threshold, and a lock lasts that long",
                1_000...86_400_000) { c, v in c.lockoutWindowMilliseconds = Int64(v) },
        integer("audit.retention_days", "days audit events are kept; 0 = forever", 0...3650) { c, v in c.auditRetentionDays = v },
        bool("ratelimit.enabled", "apply the per-route and global limits") { c, v in c.rateLimitsEnabled = v },
        rate("ratelimit.global", "requests per client across limited routes") { c, v in c.globalRateLimit = v },
        list("ratelimit.buckets", "bucket overrides as [\"auth:login=10/10s\", …]") { c, items throws(ConfigError) in
            var overrides: [String: RateLimit] = [:]
            for item in items {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, RateLimitBuckets.defaults[String(parts[0])] != nil, let limit = RateLimit(parsing: String(parts[1])) else {
                    throw ConfigError(key: "ratelimit.buckets", reason: "entries must be bucket=N/duration with a known bucket name")
                }
                overrides[String(parts[0])] = limit
            }
            c.rateLimitOverrides = overrides
        },
        list("server.trusted_proxies", "proxy addresses whose X-Forwarded-For is believed") { c, items throws(ConfigError) in
            for item in items where !(item.contains(".") || item.contains(":")) {
                throw ConfigError(key: "server.trusted_proxies", reason: "entries must be IP addresses")
            }
            c.trustedProxies = Set(items)
        },
        rate("ratelimit.sms_send", "SMS codes sent per user") { c, v in c.smsSendLimit = v },
        rate("ratelimit.sms_send_ip", "SMS codes sent per client IP (IPv6: /64), any account or number") { c, v in c.smsSendIPLimit = v },
        rate("ratelimit.sms_send_global", "SMS codes sent by the whole instance") { c, v in c.smsSendGlobalLimit = v },
        rate("ratelimit.rotate", "client-secret and bot-token rotations per user") { c, v in c.rotateLimit = v },
        rate("ratelimit.handoff_initiate", "desktop hand-over codes asked for per client IP (IPv6: /64)") { c, v in c.handoffInitiateLimit = v },
        rate("ratelimit.handoff_complete", "desktop hand-over completions per client IP and per user") { c, v in c.handoffCompleteLimit = v },
        rate("ratelimit.email_change", "email changes asked for per user") { c, v in c.emailChangeLimit = v },
        rate("ratelimit.username_change", "username changes per user") { c, v in c.usernameChangeLimit = v },
        list("security.bot_token_keys", "bot-token signing keys as [\"ID:base64url-secret\", …] (ID 0-255, secret ≥ 32 bytes); empty = derived from secret_key") { c, items throws(ConfigError) in
            var keys: [UInt8: [UInt8]] = [:]
            for item in items {
                let parts = item.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let id = UInt8(parts[0]), keys[id] == nil,
                      let secret = Base64URL.decode(String(parts[1])), secret.count >= 32
                else { throw ConfigError(key: "security.bot_token_keys", reason: "entries must be unique ID:base64url with ID 0-255 and at least 32 bytes of secret") }
                keys[id] = secret
            }
            c.botTokenKeys = keys
        },
        integer("security.bot_token_active_key", "the bot_token_keys ID that signs new tokens (default: the highest)", 0...255) { c, v in c.botTokenActiveKey = UInt8(v) },
        string("mfa.totp_issuer", "issuer name shown in authenticator apps") { c, v throws(ConfigError) in
            guard (1...64).contains(v.count), !v.contains(":") else { throw ConfigError(key: "mfa.totp_issuer", reason: "must be 1-64 characters without ':'") }
            c.totpIssuer = v
        },
        string("webauthn.rp_id", "WebAuthn relying party id (default: the public URL's host)") { c, v in c.webauthnRPID = v },
        string("webauthn.rp_name", "WebAuthn relying party name") { c, v in c.webauthnRPName = v },
        list("webauthn.origins", "origins WebAuthn ceremonies may come from (default: the public URL)") { c, items throws(ConfigError) in
            for item in items where !(item.hasPrefix("https://") || item.hasPrefix("http://")) {
                throw ConfigError(key: "webauthn.origins", reason: "entries must be origins like https://app.example")
            }
            c.webauthnOrigins = items
        },
        string("webauthn.user_verification", "required, preferred or discouraged") { c, v throws(ConfigError) in
            guard ["required", "preferred", "discouraged"].contains(v) else {
                throw ConfigError(key: "webauthn.user_verification", reason: "must be required, preferred or discouraged")
            }
            c.webauthnUserVerification = v
        },
        bool("oauth.require_pkce", "require PKCE (S256) from every OAuth2 client, not only public ones") { c, v in c.oauthRequirePKCE = v },
        duration("oauth.grant_lifetime", "an OAuth2 grant ends this long after the code redemption that made it, however often refreshed (RT-06)",
                 minimum: 86_400_000) { c, v in c.oauthGrantLifetimeMilliseconds = v },
        string("log.level", "trace, debug, info, notice, warning, error or critical") { c, v throws(ConfigError) in
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(v) else {
                throw ConfigError(key: "log.level", reason: "must be one of trace, debug, info, notice, warning, error, critical")
            }
            c.logLevel = v
        },
        bool("log.access", "one log line per request") { c, v in c.accessLog = v },
        string("log.format", "text (logfmt) or json (one object per line, the same fields)") { c, v throws(ConfigError) in
            guard let format = LogFormat(rawValue: v) else { throw ConfigError(key: "log.format", reason: "must be text or json") }
            c.logFormat = format
        },
        bool("dev", env: "FLUXER_AUTH_DEV", "developer mode: generated secret, outbox, cookies without Secure") { c, v in c.dev = v },
        string("outbox.driver", "where email/SMS go: log, webhook or none") { c, v throws(ConfigError) in
            guard let kind = OutboxDriverKind(rawValue: v) else {
                throw ConfigError(key: "outbox.driver", reason: "must be one of log, webhook, none")
            }
            c.outboxDriver = kind
        },
        string("outbox.webhook_url", "http(s) URL receiving signed outbox messages (driver = webhook)") { c, v throws(ConfigError) in
            guard v.isEmpty || HTTPClientRequest.host(of: v) != nil else {
                throw ConfigError(key: "outbox.webhook_url", reason: "must be an http:// or https:// URL with a host")
            }
            c.outboxWebhookURL = v
        },
        string("outbox.webhook_secret", "HMAC-SHA256 key for X-Fluxer-Signature, at least 16 bytes (driver = webhook)") { c, v throws(ConfigError) in
            guard v.isEmpty || v.utf8.count >= 16 else {
                throw ConfigError(key: "outbox.webhook_secret", reason: "must be at least 16 bytes")
            }
            guard v.utf8.count <= 1024 else { throw ConfigError(key: "outbox.webhook_secret", reason: "must be at most 1024 bytes") }
            c.outboxWebhookSecret = v
        },
        integer("outbox.max_attempts", "delivery attempts before a message is given up", 1...100) { c, v in c.outboxMaxAttempts = v },
        bool("sso.enabled", "offer OpenID Connect sign-in (/auth/sso/*) with the provider below") { c, v in c.sso.enabled = v },
        bool("sso.enforced", "with SSO enabled, refuse password login, registration, reset and passkeys (403 SSO_REQUIRED)") { c, v in c.sso.enforced = v },
        string("sso.provider", "the provider's name (the `provider` of /auth/sso/start)") { c, v throws(ConfigError) in
            guard (1...32).contains(v.count), v.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
                throw ConfigError(key: "sso.provider", reason: "must be 1-32 characters of a-z, 0-9 and -")
            }
            c.sso.provider = v
        },
        string("sso.display_name", "the provider's name as users see it") { c, v in c.sso.displayName = v },
        string("sso.issuer", "OIDC issuer URL; its discovery document fills the endpoints left empty (\"mock\" in dev mode: the built-in provider)") { c, v throws(ConfigError) in
            guard v.isEmpty || v == "mock" || HTTPClientRequest.host(of: v) != nil else { throw ConfigError(key: "sso.issuer", reason: "must be an http(s) URL or \"mock\"") }
            c.sso.issuer = v
        },
        optionalURL("sso.authorization_url", "authorization endpoint (default: from discovery)") { c, v in c.sso.authorizationURL = v },
        optionalURL("sso.token_url", "token endpoint (default: from discovery)") { c, v in c.sso.tokenURL = v },
        optionalURL("sso.jwks_url", "JWKS endpoint (default: from discovery)") { c, v in c.sso.jwksURL = v },
        optionalURL("sso.userinfo_url", "userinfo endpoint, used when the ID token has no email (default: from discovery)") { c, v in c.sso.userinfoURL = v },
        string("sso.client_id", "client id registered with the provider") { c, v in c.sso.clientID = v },
        string("sso.client_secret", "client secret (empty: a public client, PKCE only)") { c, v in c.sso.clientSecret = v },
        string("sso.scope", "scopes requested; must include openid") { c, v throws(ConfigError) in
            guard v.split(separator: " ").contains("openid") else { throw ConfigError(key: "sso.scope", reason: "must include openid") }
            c.sso.scope = v
        },
        string("sso.redirect_uri", "where the provider sends the browser back (default: <public_url>/auth/sso/callback)") { c, v throws(ConfigError) in
            guard v.isEmpty || v.hasPrefix("https://") || v.hasPrefix("http://") || v.hasPrefix("fluxer://") else {
                throw ConfigError(key: "sso.redirect_uri", reason: "must be an http(s) or fluxer:// URL")
            }
            c.sso.redirectURI = v
        },
        string("sso.app_url", "the web app the SSO callback returns to with ?code= (default: the public URL)") { c, v throws(ConfigError) in
            guard v.isEmpty || HTTPClientRequest.host(of: v) != nil, !v.contains("?"), !v.contains("#") else {
                throw ConfigError(key: "sso.app_url", reason: "must be an http(s) URL without query or fragment")
            }
            c.ssoAppURL = v.hasSuffix("/") ? String(v.dropLast()) : v
        },
        string("sso.timeout", "how long one exchange with an SSO provider may take, connecting included: 1s to 60s") { c, v throws(ConfigError) in
            guard let milliseconds = parseDuration(v), (1_000...60_000).contains(milliseconds) else {
                throw ConfigError(key: "sso.timeout", reason: "must be from 1s to 60s, e.g. 10s")
            }
            c.ssoTimeoutMilliseconds = Int(milliseconds)
        },
        list("sso.allowed_domains", "email domains that may sign in (empty: any)") { c, items in c.sso.allowedDomains = items.map { $0.lowercased() } },
        bool("sso.auto_provision", "create an account on first sign-in for an email no account has") { c, v in c.sso.autoProvision = v },
        bool("sso.link_existing_accounts", "let existing accounts link the provider: a signed-in user links from their account (sudo); an unverified account with the provider-verified email is claimed. Never by email alone for a verified account") { c, v in
            c.sso.linkExistingAccounts = v
        },
        bool("sso.trust_provider_mfa", "an ID token whose amr shows MFA (mfa, or a possession method with a knowledge or inherence one) stands for the account's own second factor") { c, v in
            c.sso.trustProviderMFA = v
        },
    ]

    /// Rules that involve more than one key, checked once every layer is applied.
    package static func validateCombinations(_ c: Config) throws(ConfigError) {
        if let active = c.botTokenActiveKey, !c.botTokenKeys.isEmpty, c.botTokenKeys[active] == nil {
            throw ConfigError(key: "security.bot_token_active_key", reason: "must be one of the IDs in security.bot_token_keys")
        }
        if c.sso.enabled && c.sso.issuer == "mock" && !c.dev {
            throw ConfigError(key: "sso.issuer", reason: "\"mock\" (the built-in provider) is for dev mode only")
        }
        if c.sso.enabled && c.sso.issuer != "mock" {
            guard !c.sso.issuer.isEmpty else { throw ConfigError(key: "sso.issuer", reason: "required when sso.enabled = true") }
            guard !c.sso.clientID.isEmpty else { throw ConfigError(key: "sso.client_id", reason: "required when sso.enabled = true") }
            // Outside dev mode the provider is reached over https only (a loopback host aside): the code exchange
            // carries the client secret, and the ID token's keys come over these.
            for (key, url) in [("sso.issuer", c.sso.issuer), ("sso.authorization_url", c.sso.authorizationURL), ("sso.token_url", c.sso.tokenURL),
                               ("sso.jwks_url", c.sso.jwksURL), ("sso.userinfo_url", c.sso.userinfoURL)]
            where !url.isEmpty && !SSOSettings.isAcceptableProviderURL(url, dev: c.dev) {
                throw ConfigError(key: key, reason: "must be an https URL outside dev mode (http only for a loopback host)")
            }
        }
        if c.sso.enabled, c.ssoProviders.contains(where: { $0.name == c.sso.provider }) {
            throw ConfigError(key: "sso.providers.\(c.sso.provider)", reason: "has the name of the [sso] table's provider (sso.provider)")
        }
        if c.outboxDriver == .webhook {
            guard !c.outboxWebhookURL.isEmpty else {
                throw ConfigError(key: "outbox.webhook_url", reason: "required when outbox.driver = \"webhook\"")
            }
            guard !c.outboxWebhookSecret.isEmpty else {
                throw ConfigError(key: "outbox.webhook_secret", reason: "required when outbox.driver = \"webhook\"")
            }
        }
    }

    package static func key(named name: String) -> ConfigKey? { keys.first { $0.name == name } }

    /// Keys that no longer exist, with what to do instead: naming one (file, environment or flag) is refused with
    /// that advice rather than a bare "unknown key", and never silently ignored.
    package static let removedKeys: [(name: String, reason: String)] = [
        // Issue 13: a configured worker id let two processes (a node and a CLI command beside it) mint the same id.
        ("security.snowflake_worker_id",
         "removed: every process now leases its snowflake worker id from the database (table worker_leases); delete this setting"),
    ]

    /// Why `name` was removed, if it was.
    package static func removalReason(_ name: String) -> String? { removedKeys.first { $0.name == name }?.reason }

    /// The environment variable of a removed key.
    package static func removedKeyEnvironment(_ name: String) -> String { defaultEnv(name) }

    package static func parseListenAddress(_ s: String) -> ListenAddress? {
        let host: Substring
        let portText: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]"), s[s.index(after: close)...].hasPrefix(":") else { return nil }
            host = s[s.index(after: s.startIndex)..<close]
            portText = s[s.index(close, offsetBy: 2)...]
        } else {
            guard let colon = s.lastIndex(of: ":") else { return nil }
            host = s[..<colon]
            portText = s[s.index(after: colon)...]
        }
        guard !host.isEmpty, let port = UInt16(portText), portText.allSatisfy(\.isASCII) else { return nil }
        return ListenAddress(host: String(host), port: port)
    }

    // MARK: - Builders

    private static func string(_ name: String, env: String? = nil, _ help: String,
                               _ apply: @escaping @Sendable (inout Config, String) throws(ConfigError) -> Void) -> ConfigKey {
        ConfigKey(name: name, environment: env ?? defaultEnv(name), help: help, kind: .string) { c, value throws(ConfigError) in
            guard case .string(let s) = value else { throw ConfigError(key: name, reason: "must be a string") }
            try apply(&c, s)
        }
    }

    private static func integer(_ name: String, env: String? = nil, _ help: String, _ range: ClosedRange<Int>,
                                _ apply: @escaping @Sendable (inout Config, Int) -> Void) -> ConfigKey {
        ConfigKey(name: name, environment: env ?? defaultEnv(name), help: help, kind: .integer) { c, value throws(ConfigError) in
            guard case .integer(let n) = value, n >= Int64(range.lowerBound), n <= Int64(range.upperBound) else {
                throw ConfigError(key: name, reason: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            apply(&c, Int(n))
        }
    }

    private static func rate(_ name: String, _ help: String, _ apply: @escaping @Sendable (inout Config, RateLimit) -> Void) -> ConfigKey {
        string(name, help + ", as N/duration (s, m, h, d), e.g. 5/15m") { c, v throws(ConfigError) in
            guard let limit = RateLimit(parsing: v) else { throw ConfigError(key: name, reason: "must look like 5/15m (count/duration with s, m, h or d)") }
            apply(&c, limit)
        }
    }

    /// A duration as N followed by s, m, h or d (`30d`, `12h`), from `minimum` up to ten years.
    private static func duration(_ name: String, _ help: String, minimum: Int64,
                                 _ apply: @escaping @Sendable (inout Config, Int64) -> Void) -> ConfigKey {
        string(name, help + ", as N with s, m, h or d, e.g. 30d") { c, v throws(ConfigError) in
            guard let milliseconds = parseDuration(v), milliseconds >= minimum, milliseconds <= 3650 * 86_400_000 else {
                let least = minimum % 86_400_000 == 0 ? "\(minimum / 86_400_000)d" : "\(minimum / 60_000)m"
                throw ConfigError(key: name, reason: "must look like 30d (a number with s, m, h or d) from \(least) to 3650d")
            }
            apply(&c, milliseconds)
        }
    }

    /// `N` ASCII digits (at most 7) followed by one unit, in milliseconds.
    package static func parseDuration(_ text: String) -> Int64? {
        guard let unit = text.last, (2...8).contains(text.utf8.count) else { return nil }
        let digits = text.dropLast()
        guard digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let amount = Int64(digits) else { return nil }
        switch unit {
        case "s": return amount * 1_000
        case "m": return amount * 60_000
        case "h": return amount * 3_600_000
        case "d": return amount * 86_400_000
        default: return nil
        }
    }

    /// A string that is empty or an http(s) URL.
    private static func optionalURL(_ name: String, _ help: String, _ apply: @escaping @Sendable (inout Config, String) -> Void) -> ConfigKey {
        string(name, help) { c, v throws(ConfigError) in
            guard v.isEmpty || HTTPClientRequest.host(of: v) != nil else { throw ConfigError(key: name, reason: "must be an http(s) URL") }
            apply(&c, v)
        }
    }

    private static func bool(_ name: String, env: String? = nil, _ help: String,
                             _ apply: @escaping @Sendable (inout Config, Bool) -> Void) -> ConfigKey {
        ConfigKey(name: name, environment: env ?? defaultEnv(name), help: help, kind: .bool) { c, value throws(ConfigError) in
            guard case .bool(let b) = value else { throw ConfigError(key: name, reason: "must be true or false") }
            apply(&c, b)
        }
    }

    private static func list(_ name: String, _ help: String,
                             _ apply: @escaping @Sendable (inout Config, [String]) throws(ConfigError) -> Void) -> ConfigKey {
        ConfigKey(name: name, environment: defaultEnv(name), help: help, kind: .list) { c, value throws(ConfigError) in
            guard case .array(let items) = value else { throw ConfigError(key: name, reason: "must be an array of strings") }
            var strings: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw ConfigError(key: name, reason: "must be an array of strings") }
                strings.append(s)
            }
            try apply(&c, strings)
        }
    }

    /// `server.max_connections` → `FLUXER_AUTH_SERVER_MAX_CONNECTIONS`.
    private static func defaultEnv(_ name: String) -> String {
        "FLUXER_AUTH_" + String(name.uppercased().map { $0 == "." ? "_" : $0 })
    }
}
