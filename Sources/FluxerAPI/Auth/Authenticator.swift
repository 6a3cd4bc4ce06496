import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain
#if DEBUG
import Synchronization
#endif

/// Decides who is calling, once per request (DESIGN "identify once"). `identify` runs on the event loop: it
/// parses the `Authorization` header once, checks a bot token's HMAC (a forged token is refused here, before
/// any database read), hashes the token once and probes the principal cache once. What it cannot decide from
/// memory, `resolve` decides on a worker with one database lookup, and caches.
package struct Authenticator: Sendable {
    package let cache: PrincipalCache
    package let botKeys: BotTokenKeys
    package let touches: SessionTouchQueue
    package let database: DataStore
    package let sessionExpiry: SessionExpiry
    package let clock: @Sendable () -> Int64
    #if DEBUG
    /// How often each step ran, so tests can prove a request is identified once.
    package let counters = Counters()
    #endif

    /// The caller named by the request's `Authorization` header, from memory alone: never `unresolved` for a
    /// missing, malformed or forged credential, or for one the cache holds.
    package func identify(_ request: HTTPRequest) -> Caller {
        guard let credential = Credential.parse(request.headers["Authorization"]) else { return .anonymous }
        return identify(credential)
    }

    /// The caller a parsed credential names, from memory alone (the authorize pages pass their cookie's).
    package func identify(_ credential: Credential) -> Caller {
        #if DEBUG
        counters.identified.add(1, ordering: .relaxed)
        #endif
        let kind: PresentedCredential.Kind
        let hash: [UInt8]
        switch credential {
        case .bare(let token):
            guard SessionToken.isWellFormed(token) else { return .refused(nil) }
            (kind, hash) = (.session, SessionToken.hash(token))
        case .bearer(let token):
            // An OAuth2 access token, falling back to a session token (DESIGN); a bot token never passes here.
            if SessionToken.isWellFormed(token) {
                (kind, hash) = (.session, SessionToken.hash(token))
            } else {
                guard OAuthSecret.isWellFormed(token) else { return .refused(nil) }
                (kind, hash) = (.accessToken, OAuthSecret.hash(token))
            }
        case .bot(let token):
            guard token.utf8.count <= 128 else { return .refused(nil) }
            (kind, hash) = (.bot, BotToken.storageHash(token))
        }
        #if DEBUG
        counters.hashed.add(1, ordering: .relaxed)
        #endif
        let now = clock()
        if let entry = cache.lookup(hash, now: now) {
            if let last = entry.lastPersistedUse { noteUse(hash, lastPersisted: last, now: now) }
            return .authenticated(entry.identity)
        }
        // A bot token's HMAC is checked only on a miss: an entry exists only for a token that passed it, and a
        // forged token cannot share another token's SHA-256, so a hit is as good as a verified signature.
        guard case .bot(let token) = credential else { return .unresolved(PresentedCredential(kind: kind, hash: hash)) }
        guard let verified = BotToken.verify(token, keys: botKeys.verifying) else { return .refused(nil) }
        return .unresolved(PresentedCredential(kind: .bot, hash: hash, botID: verified.botID))
    }

    /// Completes an `unresolved` caller with one database read (and caches what it found); any other caller
    /// is returned as is.
    package func resolve(_ caller: Caller) throws -> Caller {
        guard case .unresolved(let presented) = caller else { return caller }
        #if DEBUG
        counters.databaseLookups.add(1, ordering: .relaxed)
        #endif
        let now = clock()
        let epoch = cache.epoch
        let hash = presented.hash
        switch presented.kind {
        case .bot:
            guard let (_, bot) = try database.read({ try ApplicationStore.botForToken(hash: hash, botID: presented.botID, in: $0) }),
                  !bot.isDisabled
            else { return .refused(presented) }
            let identity = Identity(Principal(user: bot, kind: .bot(applicationID: bot.id)))
            cache.insert(hash, identity: identity, lastUsedAt: nil, readAt: epoch, now: now)
            return .authenticated(identity)
        case .accessToken:
            guard let (record, user) = try database.read({ db -> (OAuthTokenRecord, User)? in
                guard let record = try OAuthStore.findToken(hash: hash, in: db), record.kind == "access", !record.familyRevoked,
                      record.expiresAt > now, let user = try UserStore.find(id: record.userID, in: db), !user.isDisabled
                else { return nil }
                return (record, user)
            }) else { return .refused(presented) }
            let kind = Principal.Kind.oauth(applicationID: record.applicationID, scopes: record.scopes.map(\.rawValue), expiresAt: record.expiresAt)
            let identity = Identity(Principal(user: user, kind: kind))
            cache.insert(hash, identity: identity, lastUsedAt: nil, readAt: epoch, now: now)
            return .authenticated(identity)
        case .session:
            // A disabled account's sessions are deleted when it is disabled; the check stands guard over a race.
            guard let (session, user) = try database.read({ try SessionStore.lookup(hash: hash, in: $0) }), !user.isDisabled
            else { return .refused(presented) }
            // Idle and absolute expiry (SE-07) before the use is noted, so an expired session is never revived.
            let lastUse = max(session.lastUsedAt, touches.pendingUse(hash) ?? .min)
            guard !sessionExpiry.isExpired(createdAt: session.createdAt, lastUsedAt: lastUse, now: now) else { return .refused(presented) }
            let identity = Identity(Principal(user: user, kind: .session(hash: hash)))
            cache.insert(hash, identity: identity, createdAt: session.createdAt, lastUsedAt: lastUse, readAt: epoch, now: now)
            noteUse(hash, lastPersisted: lastUse, now: now)
            return .authenticated(identity)
        }
    }

    /// Queues a session's use for the database at most once per `SessionTouchQueue.minimumInterval`.
    private func noteUse(_ hash: [UInt8], lastPersisted: Int64, now: Int64) {
        if now - lastPersisted >= SessionTouchQueue.minimumInterval {
            touches.enqueue(hash, time: now)
            cache.markPersisted(hash, time: now)
        }
    }

    #if DEBUG
    /// Step counts, for tests (debug builds only: a shared counter would cost the hot path a contended line).
    package final class Counters: Sendable {
        /// Credentials identified (each parsed header, or a cookie's token).
        package let identified = Atomic<Int>(0)
        /// Tokens hashed.
        package let hashed = Atomic<Int>(0)
        /// Database lookups made to identify a caller.
        package let databaseLookups = Atomic<Int>(0)
    }
    #endif
}
