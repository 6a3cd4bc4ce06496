import Crypto
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
    let cache: SessionCache
    let touches: SessionTouchQueue

    init(context: AppContext) throws {
        self.context = context
        let config = context.config
        let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
        let threads = config.hashThreads > 0 ? config.hashThreads : max(1, context.cpuCount)
        hashPool = try PasswordHashPool(hasher: hasher, threads: threads, maxQueued: 1024)
        cache = SessionCache(ttlMilliseconds: Int64(config.sessionCacheTTLMilliseconds))
        touches = SessionTouchQueue(database: context.database)
    }

    func start() { touches.start() }

    func stop() {
        touches.stop()
        hashPool.stop()
    }

    var now: Int64 { context.clock() }

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

    /// The caller from the cache only (event-loop fast path); nil means "ask the database".
    func cachedPrincipal(_ request: HTTPRequest) -> Principal? {
        cachedEntry(request).map { Principal(user: $0.user, kind: .session(hash: $0.session.hash)) }
    }

    /// The cache entry for the request's session, noting the use.
    func cachedEntry(_ request: HTTPRequest) -> SessionCache.Entry? {
        guard let token = Self.sessionToken(request) else { return nil }
        let hash = SessionToken.hash(token)
        let now = self.now
        guard let entry = cache.lookup(hash, now: now) else { return nil }
        noteUse(hash, lastPersisted: entry.lastPersistedUse, now: now)
        return entry
    }

    /// The caller, from the cache or one indexed lookup; nil when unauthenticated.
    func principal(_ request: HTTPRequest) throws -> Principal? {
        if let cached = cachedPrincipal(request) { return cached }
        guard let token = Self.sessionToken(request) else { return nil }
        let hash = SessionToken.hash(token)
        let epoch = cache.epoch
        guard let (session, user) = try context.database.read({ try SessionStore.lookup(hash: hash, in: $0) }) else { return nil }
        let now = self.now
        cache.insert(session, user: user, readAt: epoch, now: now)
        noteUse(hash, lastPersisted: session.lastUsedAt, now: now)
        return Principal(user: user, kind: .session(hash: hash))
    }

    /// The caller, or 401 `UNAUTHORIZED`.
    func requireUser(_ request: HTTPRequest) throws -> Principal {
        guard let principal = try principal(request) else { throw APIError.unauthorized }
        return principal
    }

    private func noteUse(_ hash: [UInt8], lastPersisted: Int64, now: Int64) {
        if now - lastPersisted >= SessionTouchQueue.minimumInterval {
            touches.enqueue(hash, time: now)
            cache.markPersisted(hash, time: now)
        }
    }

    // MARK: - Sessions

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
