import FluxerCrypto
import Synchronization
import FluxerDomain

/// Validated credentials (session tokens and bot tokens) kept in memory, keyed by SHA-256 of the token, so the
/// hot path (`GET /users/@me`) is answered without a database read.
///
/// Correctness under revocation: every revoke bumps `epoch` and removes entries under the same lock, after its
/// transaction commits; a reader only inserts what it read if the epoch did not move since it started, so a
/// row read before a revoke can never be cached after it. Entries also expire after `ttl` so that, with
/// several nodes on one database, a revoke elsewhere is honoured within that bound. A session's entry never
/// outlives the session itself: a hit is judged by the same `SessionExpiry` as the database lookup (SE-07).
public final class PrincipalCache: Sendable {
    /// One cached credential. A class, so a hit hands out one reference rather than copying the user's fields.
    package final class Entry: Sendable {
        /// Who the credential identifies (with `GET /users/@me`'s body, serialized once).
        package let identity: Identity
        package let cachedAt: Int64
        /// Sessions: when the session was created (its absolute lifetime counts from here); nil for other credentials.
        package let sessionCreatedAt: Int64?
        /// Sessions: the last use time written (or queued) to the database; `Int64.min` for other credentials.
        private let lastUse: Atomic<Int64>

        package init(identity: Identity, cachedAt: Int64, sessionCreatedAt: Int64?, lastPersistedUse: Int64?) {
            self.identity = identity
            self.cachedAt = cachedAt
            self.sessionCreatedAt = sessionCreatedAt
            self.lastUse = Atomic(lastPersistedUse ?? .min)
        }

        package var user: User { identity.principal.user }
        package var kind: Principal.Kind { identity.principal.kind }

        /// Sessions: the last use time written (or queued) to the database; nil for other credentials.
        package var lastPersistedUse: Int64? {
            let value = lastUse.load(ordering: .relaxed)
            return value == .min ? nil : value
        }

        fileprivate func markPersisted(_ time: Int64) {
            if lastUse.load(ordering: .relaxed) != .min { lastUse.store(time, ordering: .relaxed) }
        }
    }

    /// A SHA-256 digest as four words: hashing it for the dictionary is four combines instead of 33, and
    /// equality is four compares.
    package struct Key: Hashable, Sendable {
        package let a: UInt64, b: UInt64, c: UInt64, d: UInt64

        package init(_ digest: [UInt8]) {
            // Keys are SHA-256 digests; anything else (never expected) is digested so it still maps to one key.
            let digest = digest.count == 32 ? digest : SHA256.hash(digest)
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            digest.withUnsafeBytes { source in withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) } }
            (a, b, c, d) = words
        }
    }

    package struct State {
        package var entries: [Key: Entry] = [:]
        package var byUser: [UInt64: Set<Key>] = [:]
        /// OAuth2 access tokens by the application they were issued to (whose bot user id is the application id).
        package var byApplication: [UInt64: Set<Key>] = [:]
        package var epoch: UInt64 = 0
        /// False while revocations made by other nodes could go unseen (the invalidation listener is not
        /// listening): nothing is answered from memory or cached until it listens again.
        package var live = true
    }

    private let state = Mutex(State())
    private let ttl: Int64
    private let capacity: Int
    private let sessionExpiry: SessionExpiry

    /// A cache whose entries live `ttlMilliseconds` (0 disables caching), whose sessions end by `sessionExpiry`,
    /// and which holds at most `capacity`.
    public init(ttlMilliseconds: Int64, sessionExpiry: SessionExpiry = SessionExpiry(), capacity: Int = 100_000) {
        self.ttl = ttlMilliseconds
        self.sessionExpiry = sessionExpiry
        self.capacity = capacity
    }

    /// The epoch to pass to `insert` after a database read.
    package var epoch: UInt64 { state.withLock { $0.epoch } }

    /// A fresh entry for the token hash, if cached.
    package func lookup(_ hash: [UInt8], now: Int64) -> Entry? {
        guard ttl > 0 else { return nil }
        let hash = Key(hash)
        return state.withLock { s in
            guard s.live, let entry = s.entries[hash] else { return nil }
            var expired = now - entry.cachedAt > ttl
            if case .oauth(_, _, let expiresAt) = entry.kind, now >= expiresAt { expired = true }
            // Idle and absolute session expiry (SE-07), on the last use written or queued. With several nodes
            // another may have used the session since; the caller then reads the database, which knows.
            if let createdAt = entry.sessionCreatedAt, let lastUse = entry.lastPersistedUse,
               sessionExpiry.isExpired(createdAt: createdAt, lastUsedAt: lastUse, now: now) { expired = true }
            if expired {
                Self.remove(hash, userID: entry.user.id, from: &s)
                return nil
            }
            return entry
        }
    }

    /// Caches a credential read at `epoch`, unless a revoke happened since. Sessions pass their creation and last
    /// recorded use, which decide their expiry.
    package func insert(_ hash: [UInt8], user: User, kind: Principal.Kind, createdAt: Int64? = nil, lastUsedAt: Int64?, readAt epoch: UInt64,
                now: Int64) {
        guard ttl > 0 else { return }
        insert(hash, identity: Identity(Principal(user: user, kind: kind)), createdAt: createdAt, lastUsedAt: lastUsedAt, readAt: epoch, now: now)
    }

    /// Caches an identity read at `epoch`, unless a revoke happened since.
    package func insert(_ hash: [UInt8], identity: Identity, createdAt: Int64? = nil, lastUsedAt: Int64?, readAt epoch: UInt64, now: Int64) {
        guard ttl > 0 else { return }
        let hash = Key(hash)
        let user = identity.principal.user
        state.withLock { s in
            guard s.live, s.epoch == epoch else { return }
            if s.entries.count >= capacity {
                s.entries.removeAll(keepingCapacity: true)
                s.byUser.removeAll(keepingCapacity: true)
                s.byApplication.removeAll(keepingCapacity: true)
            }
            s.entries[hash] = Entry(identity: identity, cachedAt: now, sessionCreatedAt: createdAt, lastPersistedUse: lastUsedAt)
            s.byUser[user.id, default: []].insert(hash)
            if case .oauth(let applicationID, _, _) = identity.principal.kind { s.byApplication[applicationID, default: []].insert(hash) }
        }
    }

    /// Notes that a use at `time` was queued for the database.
    package func markPersisted(_ hash: [UInt8], time: Int64) {
        let hash = Key(hash)
        state.withLock { s in s.entries[hash]?.markPersisted(time) }
    }

    /// Forgets one credential, any kind (after its revoke or supersession committed).
    public func invalidate(credential hash: [UInt8]) {
        let hash = Key(hash)
        state.withLock { s in
            s.epoch &+= 1
            if let userID = s.entries[hash]?.user.id { Self.remove(hash, userID: userID, from: &s) }
        }
    }

    /// Forgets every credential of a user or bot (after a revoke-all, a token reset or a change to the user).
    /// A bot's user id is its application's id, so this also forgets the OAuth2 access tokens issued to that
    /// application (deleting an application ends them at once, AT-03).
    public func invalidate(user userID: UInt64) {
        state.withLock { s in
            s.epoch &+= 1
            for hash in s.byUser[userID] ?? [] { Self.remove(hash, userID: userID, from: &s) }
            for hash in s.byApplication[userID] ?? [] {
                if let owner = s.entries[hash]?.user.id { Self.remove(hash, userID: owner, from: &s) }
            }
            s.byUser.removeValue(forKey: userID)
            s.byApplication.removeValue(forKey: userID)
        }
    }

    /// Forgets every entry (a bot-token key was retired: its tokens must pass the signature check again), and
    /// keeps caching.
    public func forgetAll() {
        state.withLock { s in
            s.epoch &+= 1
            s.entries.removeAll()
            s.byUser.removeAll()
            s.byApplication.removeAll()
        }
    }

    /// Forgets everything and caches nothing until `resume()`: the node can no longer hear other nodes'
    /// revocations (its invalidation listener lost its connection), so only the database may answer.
    public func suspend() {
        state.withLock { s in
            s.epoch &+= 1
            s.live = false
            s.entries.removeAll()
            s.byUser.removeAll()
            s.byApplication.removeAll()
        }
    }

    /// Caches again once the node hears revocations (its listener listens; anything revoked before is in the
    /// database, which the next lookups read).
    public func resume() {
        state.withLock { s in
            s.epoch &+= 1
            s.entries.removeAll()
            s.byUser.removeAll()
            s.byApplication.removeAll()
            s.live = true
        }
    }

    /// Whether entries may be answered from memory now.
    public var isLive: Bool { state.withLock { $0.live } }

    /// Entries currently held.
    public var count: Int { state.withLock { $0.entries.count } }

    private static func remove(_ hash: Key, userID: UInt64, from s: inout State) {
        if case .oauth(let applicationID, _, _)? = s.entries.removeValue(forKey: hash)?.kind {
            s.byApplication[applicationID]?.remove(hash)
            if s.byApplication[applicationID]?.isEmpty == true { s.byApplication.removeValue(forKey: applicationID) }
        }
        s.byUser[userID]?.remove(hash)
        if s.byUser[userID]?.isEmpty == true { s.byUser.removeValue(forKey: userID) }
    }
}
