import FluxerPersistence
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
import FluxerDomain

/// Sessions end on the server (issue 12 must-fix #5; checklist SE-07, ASVS 7.3.1 idle / 7.3.2 absolute): in the
/// principal cache, the database lookup, the sessions list, maintenance and the authorize pages' cookie, judged
/// on the last recorded use (the touch queue writes uses lazily). Time is the harness's hand-moved clock.
@Suite struct SessionExpiryTests {
    static let minute: Int64 = 60_000

    /// Idle 10 min, absolute 30 min; `cacheTTL` 0 reads the database every time, 1 h answers from the cache.
    static func harness(cacheTTL: Int) throws -> AccountsHarness {
        try AccountsHarness { config in
            config.sessionIdleTimeoutMilliseconds = 10 * minute
            config.sessionLifetimeMilliseconds = 30 * minute
            config.sessionCacheTTLMilliseconds = cacheTTL
        }
    }

    static func lastUsedAt(_ h: AccountsHarness, _ token: String) throws -> Int64? {
        try h.database.read { db in
            try db.queryOne("SELECT last_used_at FROM sessions WHERE id_hash = ?", SessionToken.hash(token))?.int("last_used_at")
        }
    }

    @Test func sessionsNeverExpireOnTheServer_defaultsAre30DaysIdleAnd180DaysAbsolute() {
        let config = Config()
        #expect(config.sessionIdleTimeoutMilliseconds == 30 * 86_400_000)
        #expect(config.sessionLifetimeMilliseconds == 180 * 86_400_000)
        let expiry = config.sessionExpiry
        #expect(expiry.expiresAt(createdAt: 0, lastUsedAt: 0) == 30 * 86_400_000)
        #expect(expiry.expiresAt(createdAt: 0, lastUsedAt: 170 * 86_400_000) == 180 * 86_400_000)
        #expect(!expiry.isExpired(createdAt: 0, lastUsedAt: 10, now: 30 * 86_400_000 + 9))
        #expect(expiry.isExpired(createdAt: 0, lastUsedAt: 10, now: 30 * 86_400_000 + 10))
        // No overflow near the end of time.
        #expect(expiry.expiresAt(createdAt: .max - 5, lastUsedAt: .max - 5) == .max)
    }

    /// Idle timeout: each recorded use moves the end; at exactly `idle` after the last one the session is 401,
    /// whether the credential was cached or not, and the refused request records no use (it is not revived).
    @Test(arguments: [0, 3_600_000]) func sessionsNeverExpireOnTheServer_idleTimeoutEndsTheSession_SE07(cacheTTL: Int) throws {
        let h = try Self.harness(cacheTTL: cacheTTL)
        defer { h.stop() }
        let account = try h.register(email: "idle@example.com")
        #expect(h.me(account.token).status == 200)
        h.clock.advance(milliseconds: 9 * Self.minute)
        #expect(h.me(account.token).status == 200)  // a use recorded at +9 min
        h.clock.advance(milliseconds: 10 * Self.minute - 1)
        #expect(h.me("Bearer \(account.token)").status == 200)  // 1 ms before the end; recorded at +19 min - 1 ms
        h.accounts.touches.flush()
        let recorded = try Self.lastUsedAt(h, account.token)
        h.clock.advance(milliseconds: 10 * Self.minute)
        let expired = h.me(account.token)
        #expect(expired.status == 401, "cache ttl \(cacheTTL)")
        #expect(expired.body == unauthorizedBody)
        #expect(h.me("Bearer \(account.token)").status == 401)
        #expect(h.request("GET", "/auth/sessions", auth: account.token).status == 401)
        h.accounts.touches.flush()
        #expect(try Self.lastUsedAt(h, account.token) == recorded, "an expired session's use is not recorded")
        h.clock.advance(milliseconds: Self.minute)
        #expect(h.me(account.token).status == 401)
        // A new sign-in works.
        #expect(h.me(try h.loginToken(account)).status == 200)
    }

    /// Absolute lifetime: used every few minutes, the session still ends `absolute` after its creation.
    @Test(arguments: [0, 3_600_000]) func sessionsNeverExpireOnTheServer_absoluteLifetimeEndsAUsedSession_SE07(cacheTTL: Int) throws {
        let h = try Self.harness(cacheTTL: cacheTTL)
        defer { h.stop() }
        let account = try h.register(email: "busy@example.com")
        for _ in 0..<5 {
            h.clock.advance(milliseconds: 5 * Self.minute)
            #expect(h.me(account.token).status == 200)
        }
        h.clock.advance(milliseconds: 5 * Self.minute - 1)  // 30 min - 1 ms after creation
        #expect(h.me(account.token).status == 200)
        h.clock.advance(milliseconds: 1)
        #expect(h.me(account.token).status == 401, "cache ttl \(cacheTTL)")
        #expect(h.request("GET", "/auth/sessions", auth: account.token).status == 401)
    }

    /// A use still in the touch queue counts: the lookup judges idle time as the database will once the queue is
    /// written, so a session used a moment ago is never refused because its row is a few seconds behind.
    @Test func sessionsNeverExpireOnTheServer_idleJudgedOnQueuedUses() throws {
        let h = try Self.harness(cacheTTL: 0)
        defer { h.stop() }
        let account = try h.register(email: "queued@example.com")
        h.clock.advance(milliseconds: 9 * Self.minute)
        #expect(h.me(account.token).status == 200)  // queued at +9 min; the row may still say +0
        h.clock.advance(milliseconds: 3 * Self.minute)
        #expect(h.me(account.token).status == 200)  // +12 min: idle 3 min by the queued use, 12 by a stale row
        h.clock.advance(milliseconds: 10 * Self.minute)  // +22 min: 10 min after the last recorded use
        #expect(h.me(account.token).status == 401)
    }

    /// The principal cache never answers for a session past its expiry, whatever its own TTL.
    @Test func sessionsNeverExpireOnTheServer_principalCacheEntryDiesWithItsSession() throws {
        let h = try Self.harness(cacheTTL: 0)
        defer { h.stop() }
        let account = try h.register(email: "cache@example.com")
        let user = try #require(try h.database.read { try UserStore.find(id: UInt64(account.userID)!, in: $0) })
        let cache = PrincipalCache(ttlMilliseconds: 86_400_000, sessionExpiry: SessionExpiry(idleMilliseconds: 10 * Self.minute,
                                                                                              absoluteMilliseconds: 30 * Self.minute))
        let hash = SessionToken.hash(account.token)
        let t0: Int64 = 1_000_000
        cache.insert(hash, user: user, kind: .session(hash: hash), createdAt: t0, lastUsedAt: t0, readAt: cache.epoch, now: t0)
        #expect(cache.lookup(hash, now: t0 + 10 * Self.minute - 1) != nil)
        #expect(cache.lookup(hash, now: t0 + 10 * Self.minute) == nil, "idle")
        #expect(cache.count == 0)
        // A use recorded while cached moves the idle end, never the absolute one.
        cache.insert(hash, user: user, kind: .session(hash: hash), createdAt: t0, lastUsedAt: t0, readAt: cache.epoch, now: t0)
        for step in 1...3 {
            cache.markPersisted(hash, time: t0 + Int64(step) * 9 * Self.minute)
            #expect(cache.lookup(hash, now: t0 + Int64(step) * 9 * Self.minute + 1) != nil)
        }
        #expect(cache.lookup(hash, now: t0 + 30 * Self.minute - 1) != nil)
        #expect(cache.lookup(hash, now: t0 + 30 * Self.minute) == nil, "absolute")
        // Other credentials are untouched by session expiry.
        cache.insert(hash, user: user, kind: .bot(applicationID: 1), lastUsedAt: nil, readAt: cache.epoch, now: t0)
        #expect(cache.lookup(hash, now: t0 + 60 * Self.minute) != nil)
    }

    /// `GET /auth/sessions` lists only sessions that are still alive, though maintenance has not pruned the rest.
    @Test func sessionsNeverExpireOnTheServer_sessionsListHidesExpiredSessions() throws {
        let h = try Self.harness(cacheTTL: 30_000)
        defer { h.stop() }
        let account = try h.register(email: "list@example.com")
        let a = account.token
        let b = try h.loginToken(account)
        h.clock.advance(milliseconds: 5 * Self.minute)
        let c = try h.loginToken(account)
        h.clock.advance(milliseconds: 4 * Self.minute)
        #expect(h.me(a).status == 200)  // +9 min
        #expect(h.me(c).status == 200)
        h.clock.advance(milliseconds: 3 * Self.minute)  // +12 min: B idle since +0
        let list = try #require(jsonValue(h.request("GET", "/auth/sessions", auth: a)) as? [[String: Any]])
        #expect(Set(list.compactMap { $0["id_hash"] as? String }) == [idHash(of: a), idHash(of: c)])
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 3, "not pruned yet, only hidden")
        #expect(h.me(b).status == 401)
        // Absolute: C (created at +5 min) ends at +35 min though used at +30.
        for _ in 0..<3 {
            h.clock.advance(milliseconds: 6 * Self.minute)
            #expect(h.me(c).status == 200)  // +18, +24, +30 min
        }
        h.clock.advance(milliseconds: 5 * Self.minute)  // +35 min
        let d = try h.loginToken(account)
        let last = try #require(jsonValue(h.request("GET", "/auth/sessions", auth: d)) as? [[String: Any]])
        #expect(last.compactMap { $0["id_hash"] as? String } == [idHash(of: d)])
    }

    /// Maintenance deletes sessions past their absolute lifetime at once, idle ones an hour after they ended
    /// (a use may still be queued), and keeps live ones.
    @Test func sessionsNeverExpireOnTheServer_maintenancePrunesExpiredSessions() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        let db = try config.openDatabase(readers: 2, poolSize: 4)
        defer { db.close() }
        let now = Clock.wallMilliseconds()
        let day: Int64 = 86_400_000
        let maintenance = Maintenance(database: db, clock: { now }, sessionExpiry: SessionExpiry())
        let rows: [(UInt8, Int64, Int64)] = [
            (1, now - 180 * day, now - 1_000),                              // absolute: ends exactly now
            (2, now - 181 * day, now - 1_000),                              // absolute, long gone
            (3, now - 40 * day, now - 30 * day - 2 * 3_600_000),            // idle, past the grace
            (4, now - 40 * day, now - 30 * day - 30 * 60_000),              // idle, within the hour's grace: kept (and refused)
            (5, now - 10 * day, now - 60_000),                              // alive
            (6, now - 180 * day + 1, now - 29 * day),                       // alive, 1 ms before both ends
        ]
        try db.write { c in
            try c.run("INSERT INTO users (id, username, discriminator, created_at) VALUES (1, 'u', 1, 0)")
            for (id, created, used) in rows {
                try c.run("INSERT INTO sessions (id_hash, user_id, created_at, last_used_at) VALUES (?, 1, ?, ?)", [id], created, used)
            }
        }
        #expect(maintenance.runOnce() == 3)
        let left = try db.read { c in try c.query("SELECT id_hash FROM sessions ORDER BY id_hash").compactMap { $0.blob("id_hash")?.first } }
        #expect(left == [4, 5, 6])
    }

    /// The authorize pages' cookie lasts the session's lifetime (not a fixed 30 days), and a page session that
    /// ended on the server shows the login form again.
    @Test func sessionsNeverExpireOnTheServer_webSessionCookieFollowsTheLifetimes() throws {
        #expect(WebSession(config: Config(), secret: []).signedIn(token: "t", redirectTo: "/").headers["Set-Cookie"]?
            .contains("Max-Age=15552000") == true)
        let h = try OAuthHarness { config in
            config.sessionIdleTimeoutMilliseconds = 10 * Self.minute
            config.sessionLifetimeMilliseconds = 12 * 60 * Self.minute
        }
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = OAuthBrowserFlowTests.Browser(h: h)
        let pairs = OAuthBrowserFlowTests.pairs(client.id, scope: "identify")
        let login = browser.get(authorizePath(pairs))
        let posted = browser.post("/oauth2/authorize/login", hiddenInputs(login.body) + [("email", "alice@example.com"),
                                                                                          ("password", alice.password)], origin: h.issuer)
        let cookie = try #require(setCookies(posted).first { $0.hasPrefix("fluxer_session=") })
        #expect(cookie.contains("Max-Age=43200"), "\(cookie)")
        #expect(browser.get(authorizePath(pairs)).body.contains("action=\"/oauth2/authorize/decision\""))
        h.clock.advance(milliseconds: 10 * Self.minute)
        let again = browser.get(authorizePath(pairs))
        #expect(again.status == 200)
        #expect(again.body.contains("action=\"/oauth2/authorize/login\""), "an idle page session signs in again")
    }
}
