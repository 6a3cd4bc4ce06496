import HTTPServer
import Postgres
import FluxerDomain

/// Everything the server reads at start. Built by `ConfigLoader` from defaults, file, environment and flags.
public struct Config: Sendable {
    /// Primary listen host (IPv4 or IPv6 literal).
    public var host = "127.0.0.1"
    /// Primary listen port.
    public var port: UInt16 = 8080
    /// Extra listen addresses (`host:port`, `[v6]:port`).
    public var extraListen: [ListenAddress] = []
    /// The externally visible base URL; derived from host and port when empty.
    public var publicURL = ""
    /// Event loop threads; 0 means one per core.
    public var eventLoops = 0
    /// Handler threads; 0 means four per core (at least 8).
    public var workers = 0
    /// HTTP limits and timeouts.
    public var http = HTTPLimits()
    /// Bound on a graceful shutdown.
    public var shutdownGraceMilliseconds = 10_000
    /// SQLite file.
    public var databasePath = "./data/fluxer-auth.sqlite"
    /// A PostgreSQL database (libpq URI, validated, password never printed); nil: SQLite at `databasePath`.
    public var databaseURL: PostgresURL?
    /// Read connections in the pool.
    public var databaseReaders = 4
    /// PostgreSQL: connections this node keeps (each worker thread holds at most one at a time).
    public var databasePoolSize = 16
    /// How long a write waits for the lock before answering 503.
    public var databaseBusyTimeoutMilliseconds = 5_000
    /// Directory of `NNNN_name.sql` files to use instead of the migrations built into the binary.
    public var migrationsDirectory = ""
    /// Server secret (≥ 32 bytes) keying HMACs and secret boxes; required outside dev mode.
    public var secretKey: [UInt8]?
    /// argon2id passes (libsodium opslimit).
    public var argon2OpsLimit = 3
    /// argon2id memory per hash, KiB.
    public var argon2MemoryKiB = 64 * 1024
    /// Threads hashing passwords; 0 means one per core.
    public var hashThreads = 0
    /// How long a validated session may be answered from memory (bounds staleness across nodes); 0 disables.
    public var sessionCacheTTLMilliseconds = 30_000
    /// A session unused this long is over (ASVS 7.3.1, SE-07); judged on its last recorded use.
    public var sessionIdleTimeoutMilliseconds = SessionExpiry.defaultIdleMilliseconds
    /// A session this old is over, however recently used (ASVS 7.3.2, SE-07).
    public var sessionLifetimeMilliseconds = SessionExpiry.defaultAbsoluteMilliseconds
    /// The session lifetimes in force.
    public var sessionExpiry: SessionExpiry {
        SessionExpiry(idleMilliseconds: sessionIdleTimeoutMilliseconds, absoluteMilliseconds: sessionLifetimeMilliseconds)
    }
    /// An OAuth2 grant (refresh-token family) ends this long after the code redemption that created it, however
    /// often it is refreshed (RT-06); no token of the family outlives it.
    public var oauthGrantLifetimeMilliseconds = OAuthLifetime.defaultGrant
    /// Login attempts per email address from one client address (IPv6: its /64); the real server's 5 per 15
    /// minutes per email, keyed with the address so one attacker cannot use up the owner's attempts (LG-02).
    public var loginEmailIPLimit = RateLimit(5, per: 15 * 60_000)
    /// Login attempts per email address from every client address together: the account-wide budget. Its
    /// sustained rate (1 per 2 minutes) is above what one address may send (`loginEmailIPLimit`, 1 per 3
    /// minutes), so one address cannot keep it full; several can, and are stopped by it.
    public var loginEmailLimit = RateLimit(30, per: 60 * 60_000)
    /// Login attempts per client IP (real server: 10 per 30 minutes).
    public var loginIPLimit = RateLimit(10, per: 30 * 60_000)
    /// Password-reset requests per email address from one client address.
    public var forgotEmailIPLimit = RateLimit(3, per: 60 * 60_000)
    /// Password-reset requests per email address from every client address together (bounds the mail one
    /// address receives); faster than `forgotEmailIPLimit` so one client cannot hold it full.
    public var forgotEmailLimit = RateLimit(10, per: 60 * 60_000)
    /// Password-reset requests per client IP (real server: 20 per 30 minutes).
    public var forgotIPLimit = RateLimit(20, per: 30 * 60_000)
    /// The issuer shown in authenticator apps.
    public var totpIssuer = "Fluxer"
    /// WebAuthn relying party id (a registrable domain); default: the public URL's host.
    public var webauthnRPID = ""
    /// WebAuthn relying party name.
    public var webauthnRPName = "Fluxer"
    /// Origins WebAuthn ceremonies may come from; default: the public URL's origin.
    public var webauthnOrigins: [String] = []
    /// `required`, `preferred` or `discouraged` (the real server: required).
    public var webauthnUserVerification = "required"

    /// The WebAuthn RP id in force.
    public var effectiveWebAuthnRPID: String {
        if !webauthnRPID.isEmpty { return webauthnRPID }
        let url = effectivePublicURL
        let afterScheme = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? "localhost"
        if afterScheme.hasPrefix("[") { return String(afterScheme.prefix { $0 != "]" }.dropFirst()) }
        return String(afterScheme.split(separator: ":").first ?? "localhost")
    }

    /// The WebAuthn origins in force.
    public var effectiveWebAuthnOrigins: [String] { webauthnOrigins.isEmpty ? [effectivePublicURL] : webauthnOrigins }

    /// Failed proofs (passwords, codes) that lock an account when they come within `lockoutWindowMilliseconds`;
    /// 0 disables (LG-01, at most 100). The count decays: one failure is forgotten every window/threshold, and
    /// a lock lasts until one has been (LG-02: a delay, not a hard lockout).
    public var lockoutThreshold = 10
    /// The window over which `lockoutThreshold` failures lock (default 10 minutes: one failure forgotten per
    /// minute, faster than one client address may try a password, so one address never locks an account).
    public var lockoutWindowMilliseconds: Int64 = 10 * 60_000
    /// Instance-wide OpenID Connect sign-in (`/auth/sso/*`); see `SSOSettings`.
    public var sso = SSOSettings()
    /// Named providers (`[sso.providers.<name>]`), sorted by name; with the flat table's provider when it is
    /// enabled, these are the instance's SSO providers.
    public var ssoProviders: [SSOProviderConfig] = []
    /// Where `GET /auth/sso/callback` sends the browser with the one-time completion code (`sso.app_url`;
    /// empty: the public URL).
    public var ssoAppURL = ""
    /// How long one exchange with an SSO provider may take, connection included (`sso.timeout`, default 10 s).
    public var ssoTimeoutMilliseconds = 10_000

    /// Whether some enabled provider enforces SSO: local sign-in (password, registration, reset, passkeys) is then
    /// refused with 403 `SSO_REQUIRED`.
    public var isSSOEnforced: Bool {
        (sso.enabled && sso.enforced) || ssoProviders.contains { if case .oidc(let s) = $0 { s.enabled && s.enforced } else { false } }
    }
    /// IP authorization (the real server's flow, fluxer-api.md §5; off by default, DESIGN "IP authorization"): a
    /// correct password from a network (an IPv4 address or IPv6 /64) the account was never authorized from answers
    /// 403 `IP_AUTHORIZATION_REQUIRED` for users without MFA, and the emailed link authorizes it. Registration
    /// authorizes the registering network whether or not this is on.
    public var ipAuthorization = false
    /// Refuse common, repetitive, sequential and context-derived passwords when one is set (PW-03).
    public var passwordBlocklist = true
    /// Days audit events are kept (0 keeps them forever).
    public var auditRetentionDays = 90
    /// Whether the per-route and global rate limits apply (the persistent login/forgot/rotate limits always do).
    public var rateLimitsEnabled = true
    /// Requests per client across all limited routes (real server: 50 per second).
    public var globalRateLimit = RateLimit(50, per: 1_000)
    /// Bucket overrides, bucket name → limit.
    public var rateLimitOverrides: [String: RateLimit] = [:]
    /// Proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies: Set<String> = []
    /// SMS codes sent per user (login, sudo, phone verification).
    public var smsSendLimit = RateLimit(5, per: 15 * 60_000)
    /// SMS codes sent per client address (IPv6: its /64), whatever the account or number (SM-03, toll fraud).
    public var smsSendIPLimit = RateLimit(10, per: 60 * 60_000)
    /// SMS codes sent by the whole instance (SM-03: a ceiling on what a distributed attacker can cost).
    public var smsSendGlobalLimit = RateLimit(1_000, per: 60 * 60_000)
    /// Client-secret and bot-token rotations per user (real server: 10 per hour).
    public var rotateLimit = RateLimit(10, per: 3_600_000)
    /// Desktop hand-over codes asked for per client address (each lives 5 minutes; a desktop that keeps one
    /// open asks for 12 an hour).
    public var handoffInitiateLimit = RateLimit(30, per: 3_600_000)
    /// Desktop hand-over completions per client address and per user, counted before the code is looked at,
    /// so nobody can try codes to push their session onto someone else's desktop.
    public var handoffCompleteLimit = RateLimit(10, per: 10 * 60_000)
    /// Email changes asked for per user (real server: 3 per hour).
    public var emailChangeLimit = RateLimit(3, per: 3_600_000)
    /// Username changes per user (real server: 5 per hour).
    public var usernameChangeLimit = RateLimit(5, per: 3_600_000)
    /// Require PKCE (S256) from every client, not only public ones (RFC 9700 §2.1.1 recommends it; off by default
    /// because many OAuth2 libraries do not send it).
    public var oauthRequirePKCE = false
    /// Bot-token HMAC keys (id → secret); empty means one key derived from the server secret.
    public var botTokenKeys: [UInt8: [UInt8]] = [:]
    /// The key that signs new bot tokens.
    public var botTokenActiveKey: UInt8?

    /// The bot-token key ring in force; in dev mode it also verifies the seed fixtures' tokens
    /// (`BotTokenKeyRing.devFixtureKeyID`).
    public func botTokenKeyRing(secret: [UInt8]) -> BotTokenKeyRing {
        let ring = botTokenKeys.isEmpty ? .derived(from: secret)
            : BotTokenKeyRing(keys: botTokenKeys, activeKeyID: botTokenActiveKey ?? botTokenKeys.keys.max()!)
        return dev ? ring.addingDevFixtureKey() : ring
    }
    /// Minimum log level.
    public var logLevel = "info"
    /// One line per request.
    public var accessLog = true
    /// Log line format: logfmt text or one JSON object per line (`log.format`, `--log-format`).
    public var logFormat = LogFormat.text
    /// Developer mode (generated secret, outbox, cookies without Secure).
    public var dev = false
    /// The seed file `serve` applied at start (`--seed F`, or dev mode's `config/seed.dev.json`); dev mode's
    /// `POST /_dev/reset` returns the database to it. Set by the command line, not a configuration key.
    public var seedFile: String?
    /// Where outbox messages go (`log`, `webhook`, `none`).
    public var outboxDriver = OutboxDriverKind.log
    /// Webhook receiving outbox messages (http/https); required when the driver is `webhook`.
    public var outboxWebhookURL = ""
    /// HMAC-SHA256 key signing webhook calls (≥ 16 bytes); required when the driver is `webhook`.
    public var outboxWebhookSecret = ""
    /// Delivery attempts before a message is given up (1–100).
    public var outboxMaxAttempts = 8

    /// The defaults.
    public init() {}

    /// Every address to listen on.
    public var listenAddresses: [ListenAddress] { [ListenAddress(host: host, port: port)] + extraListen }

    /// The public base URL without a trailing slash.
    public var effectivePublicURL: String {
        if !publicURL.isEmpty { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let h = host.contains(":") ? "[\(host)]" : host
        return "http://\(h):\(port)"
    }
}
