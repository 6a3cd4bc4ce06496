import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain

/// The accounts service: password hashing, who is calling (`Authenticator`: cache → one indexed lookup), and
/// the write wrapper that keeps the session cache honest.
public final class Accounts: Sendable {
    package let context: AppContext
    package let hashPool: PasswordHashPool
    package let cache: PrincipalCache
    /// The bot-token keys: configured and stored ones, reread periodically.
    package let botKeys: BotTokenKeys
    package let mfaKeys: MFAKeys
    /// Keys the HMAC that stands for an authorized network (`authorized_ips.ip_key`).
    package let ipAuthorizationKey: [UInt8]
    package let touches: SessionTouchQueue
    /// Who is calling, decided once per request.
    package let authenticator: Authenticator
    /// PostgreSQL: hears other nodes' revocations (nil on SQLite).
    package let invalidationListener: CacheInvalidationListener?
    /// SQLite: reads the revocations other processes on the file logged (nil on PostgreSQL).
    package let invalidationPoller: CacheInvalidationPoller?

    package init(context: AppContext) throws {
        self.context = context
        let config = context.config
        let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
        let threads = config.hashThreads > 0 ? config.hashThreads : max(1, context.cpuCount)
        hashPool = try PasswordHashPool(hasher: hasher, threads: threads, maxQueued: 1024)
        let cache = PrincipalCache(ttlMilliseconds: Int64(config.sessionCacheTTLMilliseconds), sessionExpiry: config.sessionExpiry)
        self.cache = cache
        botKeys = try BotTokenKeys(source: BotTokenKeys.Source(config: config, secret: context.secretKey), database: context.database,
                                   cache: cache, logger: context.logger)
        mfaKeys = MFAKeys(secret: context.secretKey)
        ipAuthorizationKey = SecretBox.deriveKey(from: context.secretKey, context: "auth/authorized-ip")
        touches = SessionTouchQueue(database: context.database)
        let logger = context.logger
        invalidationListener = try context.database.postgres.map {
            try CacheInvalidationListener(configuration: $0.configuration, cache: cache, logger: logger)
        }
        invalidationPoller = context.database.dialect == .sqlite
            ? try CacheInvalidationPoller(database: context.database, cache: cache, logger: logger) : nil
        authenticator = Authenticator(cache: cache, botKeys: botKeys, touches: touches, database: context.database,
                                      sessionExpiry: config.sessionExpiry, clock: context.clock)
    }

    package func start() {
        touches.start()
        invalidationPoller?.start()
        botKeys.start()
    }

    package func stop() {
        botKeys.stop()
        invalidationPoller?.stop()
        invalidationListener?.stop()
        touches.stop()
        hashPool.stop()
    }

    package var now: Int64 { context.clock() }

    /// The audit log.
    package var audit: AuditLog { context.audit }

    /// A write transaction whose cache invalidations are applied after commit, here and (PostgreSQL) on every
    /// other node: they are announced from inside the transaction, see `CacheInvalidationBus`.
    package func write<T>(_ body: (SQLTransaction, inout Invalidations) throws -> T) throws -> T {
        var invalidations = Invalidations()
        let result = try context.database.write { db in
            // A PostgreSQL retry runs the body again: only the attempt that commits counts.
            invalidations = Invalidations()
            let value = try body(db, &invalidations)
            try CacheInvalidationBus.publish(invalidations, in: db)
            return value
        }
        CacheInvalidationBus.apply(invalidations, to: cache)
        invalidations.tokens.record(in: context.metrics)
        return result
    }

    // MARK: - Authentication

    /// Who is calling: as the request's filters identified it (`HTTPRequest.caller`), resolved if the worker
    /// filter has not done so yet (a route on the event loop, a request built in code).
    package func caller(_ request: HTTPRequest) throws -> Caller {
        try authenticator.resolve(request.caller ?? authenticator.identify(request))
    }

    /// The caller's principal; nil when unauthenticated.
    package func principal(_ request: HTTPRequest) throws -> Principal? {
        try caller(request).principal
    }

    /// The caller, or 401 `UNAUTHORIZED`. Bots on user-only routes get 403 `ACCESS_DENIED`. OAuth2 bearer
    /// tokens are denied by default (403 `ACCESS_DENIED`): a route opts in by naming the scope it needs, and a
    /// token without it gets 403 `MISSING_OAUTH_SCOPE` with `required_scope`.
    package func requireUser(_ request: HTTPRequest, allowBots: Bool = true, scope: OAuthScope? = nil) throws -> Principal {
        guard let principal = try principal(request) else { throw APIError.unauthorized }
        if !allowBots && principal.isBot { throw APIError.accessDenied }
        if principal.isOAuth {
            guard let scope else { throw APIError.accessDenied }
            guard principal.oauthScopes.contains(scope.rawValue) else { throw APIError.missingScope(scope) }
        }
        return principal
    }

    /// Auth endpoints refuse bot tokens with 403 `BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED`.
    package func refuseBots(_ request: HTTPRequest) throws {
        if try principal(request)?.isBot == true {
            throw APIError(.forbidden, code: "BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED", message: "Bot users cannot use this endpoint.")
        }
    }

    // MARK: - Sessions

    /// A session's last recorded use: the written one, or a newer one still in the touch queue.
    package func lastRecordedUse(_ session: SessionRecord) -> Int64 {
        max(session.lastUsedAt, touches.pendingUse(session.hash) ?? .min)
    }

    /// Whether a stored session is over (idle or absolute timeout, SE-07), judged as the cache judges it.
    package func isExpired(_ session: SessionRecord, now: Int64) -> Bool {
        context.config.sessionExpiry.isExpired(createdAt: session.createdAt, lastUsedAt: lastRecordedUse(session), now: now)
    }

    /// Creates a session for the request's client (counted in `invalidations.tokens`); a disabled account gets
    /// 403 `ACCOUNT_SUSPENDED_PERMANENTLY` on every sign-in path (password, MFA, passkey, SSO, reset, the
    /// authorize page).
    package func createSession(for userID: UInt64, request: HTTPRequest, in db: SQLTransaction,
                               _ invalidations: inout Invalidations) throws -> String {
        let token: String
        do {
            token = try SessionStore.create(
                userID: userID, ip: request.remoteAddress.isEmpty ? nil : request.remoteAddress,
                userAgent: request.headers["User-Agent"], isDesktop: Self.isDesktopApp(request), now: now, in: db)
        } catch SessionRefusal.accountDisabled {
            throw APIError.accountSuspended
        }
        invalidations.tokens.issued(.session)
        return token
    }

    package static func isDesktopApp(_ request: HTTPRequest) -> Bool {
        request.headers["X-Fluxer-Platform"].map { HTTPHeaders.equalsIgnoringASCIICase($0, "desktop") } ?? false
    }
}
