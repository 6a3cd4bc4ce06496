import FluxerCrypto
import HTTPServer
import SQLite

/// Cache invalidations collected during a write and applied after it commits.
struct Invalidations {
    var sessions: [[UInt8]] = []
    var users: [UInt64] = []
}

/// The accounts service: password hashing, session authentication (cache → one indexed lookup), and the
/// write wrapper that keeps the session cache honest.
public final class Accounts: Sendable {
    let context: AppContext
    let hashPool: PasswordHashPool
    let cache: PrincipalCache
    let botKeys: BotTokenKeyRing
    let mfaKeys: MFAKeys
    let touches: SessionTouchQueue

    init(context: AppContext) throws {
        self.context = context
        let config = context.config
        let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
        let threads = config.hashThreads > 0 ? config.hashThreads : max(1, context.cpuCount)
        hashPool = try PasswordHashPool(hasher: hasher, threads: threads, maxQueued: 1024)
        cache = PrincipalCache(ttlMilliseconds: Int64(config.sessionCacheTTLMilliseconds), sessionExpiry: config.sessionExpiry)
        botKeys = config.botTokenKeyRing(secret: context.secretKey)
        mfaKeys = MFAKeys(secret: context.secretKey)
        touches = SessionTouchQueue(database: context.database)
    }

    func start() { touches.start() }

    func stop() {
        touches.stop()
        hashPool.stop()
    }

    var now: Int64 { context.clock() }

    /// The audit log.
    var audit: AuditLog { context.audit }

    /// A write transaction whose cache invalidations are applied after commit.
    func write<T>(_ body: (Connection, inout Invalidations) throws -> T) throws -> T {
        var invalidations = Invalidations()
        let result = try context.database.write { db in try body(db, &invalidations) }
        for hash in invalidations.sessions { cache.invalidate(session: hash) }
        for user in invalidations.users { cache.invalidate(user: user) }
        return result
    }

    // MARK: - Authentication

    /// The session token a request carries (bare or `Bearer`), if well formed.
    static func sessionToken(_ request: HTTPRequest) -> Substring? {
        switch Credential.parse(request.headers["Authorization"]) {
        case .bare(let token)?, .bearer(let token)?:
            return SessionToken.isWellFormed(token) ? token : nil
        default:
            return nil
        }
    }

    /// The cache key of the request's credential: SHA-256 of a well-formed session, OAuth2 or bot token. A bot
    /// token's HMAC is checked only when the cache misses: an entry exists only for a token that passed it, and a
    /// forged token cannot share another token's SHA-256, so a hit is as good as a verified signature.
    private func credentialKey(_ request: HTTPRequest) -> (hash: [UInt8], credential: Credential)? {
        Credential.parse(request.headers["Authorization"]).flatMap(credentialKey)
    }

    private func credentialKey(_ credential: Credential) -> (hash: [UInt8], credential: Credential)? {
        switch credential {
        case .bare(let token):
            guard SessionToken.isWellFormed(token) else { return nil }
            return (SessionToken.hash(token), credential)
        case .bearer(let token):
            // An OAuth2 access token, falling back to a session token (DESIGN); a bot token never passes here.
            if SessionToken.isWellFormed(token) { return (SessionToken.hash(token), .bare(token)) }
            guard OAuthSecret.isWellFormed(token) else { return nil }
            return (OAuthSecret.hash(token), credential)
        case .bot(let token):
            guard token.utf8.count <= 128 else { return nil }
            return (BotToken.storageHash(token), credential)
        }
    }

    /// What the event loop can tell about the caller from memory alone.
    enum FastCaller {
        /// Cached: answer at once.
        case known(PrincipalCache.Entry)
        /// No credential, a malformed one, or a bot token whose HMAC fails: 401 with no database read and no
        /// worker hop.
        case refused
        /// Well formed but not cached: ask the database on a worker.
        case unknown
    }

    /// The caller from the cache, or whether it can be refused without any lookup. Parses the header once and
    /// reuses the rate-limit filter's cache probe when it made one.
    func fastCaller(_ request: HTTPRequest) -> FastCaller {
        let credential = Credential.parse(request.headers["Authorization"])
        if let probe = request.attachment as? CacheProbe {
            if let entry = probe.entry { return .known(entry) }
        } else if let credential, let entry = cachedEntry(credential) {
            return .known(entry)
        }
        switch credential {
        case nil: return .refused
        case .bare(let token)?: return SessionToken.isWellFormed(token) ? .unknown : .refused
        case .bearer(let token)?: return SessionToken.isWellFormed(token) || OAuthSecret.isWellFormed(token) ? .unknown : .refused
        case .bot(let token)?: return BotToken.verify(token, keys: botKeys) == nil ? .refused : .unknown
        }
    }

    /// The cache entry for the request's credential, noting a session's use.
    func cachedEntry(_ request: HTTPRequest) -> PrincipalCache.Entry? {
        Credential.parse(request.headers["Authorization"]).flatMap(cachedEntry)
    }

    private func cachedEntry(_ credential: Credential) -> PrincipalCache.Entry? {
        guard let key = credentialKey(credential) else { return nil }
        let now = self.now
        guard let entry = cache.lookup(key.hash, now: now) else { return nil }
        if let last = entry.lastPersistedUse { noteUse(key.hash, lastPersisted: last, now: now) }
        return entry
    }

    /// The caller, from the cache or one indexed lookup; nil when unauthenticated.
    func principal(_ request: HTTPRequest) throws -> Principal? {
        guard let key = credentialKey(request) else { return nil }
        let now = self.now
        if let entry = cache.lookup(key.hash, now: now) {
            if let last = entry.lastPersistedUse { noteUse(key.hash, lastPersisted: last, now: now) }
            return Principal(user: entry.user, kind: entry.kind)
        }
        let epoch = cache.epoch
        if case .bot(let token) = key.credential {
            guard let verified = BotToken.verify(token, keys: botKeys) else { return nil }
            guard let (_, bot) = try context.database.read({ db in
                try ApplicationStore.botForToken(key.credential.token, botID: verified.botID, in: db)
            }) else { return nil }
            let kind = Principal.Kind.bot(applicationID: bot.id)
            cache.insert(key.hash, user: bot, kind: kind, lastUsedAt: nil, readAt: epoch, now: now)
            return Principal(user: bot, kind: kind)
        }
        if case .bearer(let token) = key.credential {
            guard let (record, user) = try context.database.read({ db -> (OAuthTokenRecord, User)? in
                guard let record = try OAuthStore.findToken(token, in: db), record.kind == "access", !record.familyRevoked,
                      record.expiresAt > now, let user = try UserStore.find(id: record.userID, in: db)
                else { return nil }
                return (record, user)
            }) else { return nil }
            let kind = Principal.Kind.oauth(applicationID: record.applicationID, scopes: record.scopes.map(\.rawValue), expiresAt: record.expiresAt)
            cache.insert(key.hash, user: user, kind: kind, lastUsedAt: nil, readAt: epoch, now: now)
            return Principal(user: user, kind: kind)
        }
        guard let (session, user) = try context.database.read({ try SessionStore.lookup(hash: key.hash, in: $0) }) else { return nil }
        // Idle and absolute expiry (SE-07) before the use is noted, so an expired session is never revived.
        let lastUse = lastRecordedUse(session)
        guard !context.config.sessionExpiry.isExpired(createdAt: session.createdAt, lastUsedAt: lastUse, now: now) else { return nil }
        let kind = Principal.Kind.session(hash: key.hash)
        cache.insert(key.hash, user: user, kind: kind, createdAt: session.createdAt, lastUsedAt: lastUse, readAt: epoch, now: now)
        noteUse(key.hash, lastPersisted: lastUse, now: now)
        return Principal(user: user, kind: kind)
    }

    /// The caller, or 401 `UNAUTHORIZED`. Bots on user-only routes get 403 `ACCESS_DENIED`. OAuth2 bearer
    /// tokens are denied by default (403 `ACCESS_DENIED`): a route opts in by naming the scope it needs, and a
    /// token without it gets 403 `MISSING_OAUTH_SCOPE` with `required_scope`.
    func requireUser(_ request: HTTPRequest, allowBots: Bool = true, scope: OAuthScope? = nil) throws -> Principal {
        guard let principal = try principal(request) else { throw APIError.unauthorized }
        if !allowBots && principal.isBot { throw APIError.accessDenied }
        if principal.isOAuth {
            guard let scope else { throw APIError.accessDenied }
            guard principal.oauthScopes.contains(scope.rawValue) else { throw APIError.missingScope(scope) }
        }
        return principal
    }

    /// Auth endpoints refuse bot tokens with 403 `BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED`.
    func refuseBots(_ request: HTTPRequest) throws {
        guard case .bot? = Credential.parse(request.headers["Authorization"]) else { return }
        if let principal = try principal(request), principal.isBot {
            throw APIError(.forbidden, code: "BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED", message: "Bot users cannot use this endpoint.")
        }
    }

    /// The application and bot for a bot token (signature first, then the stored hash).
    func bot(token: Substring) throws -> (Application, User)? {
        guard let verified = BotToken.verify(token, keys: botKeys) else { return nil }
        return try context.database.read { try ApplicationStore.botForToken(token, botID: verified.botID, in: $0) }
    }

    private func noteUse(_ hash: [UInt8], lastPersisted: Int64, now: Int64) {
        if now - lastPersisted >= SessionTouchQueue.minimumInterval {
            touches.enqueue(hash, time: now)
            cache.markPersisted(hash, time: now)
        }
    }

    // MARK: - Sessions

    /// A session's last recorded use: the written one, or a newer one still in the touch queue.
    func lastRecordedUse(_ session: SessionRecord) -> Int64 {
        max(session.lastUsedAt, touches.pendingUse(session.hash) ?? .min)
    }

    /// Whether a stored session is over (idle or absolute timeout, SE-07), judged as the cache judges it.
    func isExpired(_ session: SessionRecord, now: Int64) -> Bool {
        context.config.sessionExpiry.isExpired(createdAt: session.createdAt, lastUsedAt: lastRecordedUse(session), now: now)
    }

    /// Creates a session for the request's client.
    func createSession(for userID: UInt64, request: HTTPRequest, in db: Connection) throws -> String {
        try SessionStore.create(
            userID: userID, ip: request.remoteAddress.isEmpty ? nil : request.remoteAddress,
            userAgent: request.headers["User-Agent"], isDesktop: Self.isDesktopApp(request), now: now, in: db)
    }

    static func isDesktopApp(_ request: HTTPRequest) -> Bool {
        request.headers["X-Fluxer-Platform"].map { HTTPHeaders.equalsIgnoringASCIICase($0, "desktop") } ?? false
    }
}
