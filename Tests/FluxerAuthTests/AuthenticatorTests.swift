#if DEBUG
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import FluxerDomain
import FluxerCrypto
import FluxerPersistence

/// Who is calling is decided once per request (DESIGN "identify once"): one header parse and one hash per
/// request, one database lookup only when the cache cannot answer, a forged bot token refused before any
/// database read, and the rate-limit key taken from the identified caller the same way for every request.
@Suite struct AuthenticatorTests {
    struct Counts: Equatable, CustomStringConvertible {
        var identified = 0, hashed = 0, lookups = 0
        var description: String { "identified \(identified), hashed \(hashed), lookups \(lookups)" }
        static func - (a: Counts, b: Counts) -> Counts {
            Counts(identified: a.identified - b.identified, hashed: a.hashed - b.hashed, lookups: a.lookups - b.lookups)
        }
    }

    static func counts(_ accounts: Accounts) -> Counts {
        let c = accounts.authenticator.counters
        return Counts(identified: c.identified.load(ordering: .relaxed), hashed: c.hashed.load(ordering: .relaxed),
                      lookups: c.databaseLookups.load(ordering: .relaxed))
    }

    /// Sends one request and checks its status and what it cost the authenticator.
    static func expectCost(_ accounts: Accounts, _ expected: Counts, status: Int, _ comment: Comment? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation, _ send: () -> TestResponse) {
        let before = counts(accounts)
        let response = send()
        let cost = counts(accounts) - before
        #expect(response.status == status, comment, sourceLocation: sourceLocation)
        #expect(cost == expected, comment, sourceLocation: sourceLocation)
    }

    @Test(arguments: [false, true]) func sessionToken_oneParseAndHashPerRequest_oneLookupUntilCached(limits: Bool) throws {
        let h = try AccountsHarness { config in if limits { Abuse.limitsOn(&config) } }
        defer { h.stop() }
        let account = try h.register(email: "ann@example.com")
        // Uncached: the fast path declines, the worker filter looks it up once, the handler reads the result.
        Self.expectCost(h.accounts, Counts(identified: 1, hashed: 1, lookups: 1), status: 200) { h.me(account.token) }
        // Cached: answered on the event loop.
        Self.expectCost(h.accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { h.me(account.token) }
        // A worker route that asks for the caller (and a bucket, with limits on) reads the same identification.
        Self.expectCost(h.accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { h.request("GET", "/auth/sessions", auth: account.token) }
        // A new, uncached session on a worker route: one lookup.
        let second = try h.loginToken(account)
        Self.expectCost(h.accounts, Counts(identified: 1, hashed: 1, lookups: 1), status: 200) { h.request("GET", "/auth/sessions", auth: second) }
        // No credential: nothing parsed, hashed or looked up.
        Self.expectCost(h.accounts, Counts(), status: 401) { h.me(nil) }
        // An unknown session token: one lookup, then 401.
        let unknown = SessionToken.generate()
        Self.expectCost(h.accounts, Counts(identified: 1, hashed: 1, lookups: 1), status: 401) { h.me(unknown) }
    }

    @Test func botToken_forgedRefusedBeforeAnyDatabaseRead_validLookedUpOnce() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let accounts = running.app.accounts
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner, name: "Counted Bot")
        let forged = "Bot " + String(created.botToken.dropLast(5)) + "AAAAA"
        for path in ["/users/@me", "/auth/sessions", "/applications/@me"] {
            Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 401, "\(path)") {
                running.call("GET", path, auth: forged)
            }
        }
        Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 1), status: 200) { running.call("GET", "/users/@me", auth: created.botAuth) }
        Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { running.call("GET", "/users/@me", auth: created.botAuth) }
        // The route's own read (the application row) is not an identification.
        Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { running.call("GET", "/applications/@me", auth: created.botAuth) }
    }

    @Test func identify_decidesFromMemory_resolveLooksUpOnce() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let authenticator = running.app.accounts.authenticator
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner, name: "Unit Bot")
        func request(_ auth: String?) -> HTTPRequest {
            var headers = HTTPHeaders()
            if let auth { headers.add("Authorization", auth) }
            return HTTPRequest(method: .GET, path: "/users/@me", headers: headers)
        }

        guard case .anonymous = authenticator.identify(request(nil)) else { Issue.record("no header"); return }
        guard case .anonymous = authenticator.identify(request("Bearer  two spaces")) else { Issue.record("ignored shape"); return }
        for malformed in ["Bearer short", "not-a-token", "Bearer " + created.botToken, "Bot " + String(created.botToken.dropLast(5)) + "AAAAA"] {
            guard case .refused(nil) = authenticator.identify(request(malformed)) else { Issue.record("\(malformed)"); continue }
        }

        let before = Self.counts(running.app.accounts)
        let bot = authenticator.identify(request(created.botAuth))
        guard case .unresolved(let presented) = bot, presented.kind == .bot else { Issue.record("bot: \(bot)"); return }
        let id = presented.botID
        #expect(String(id) == created.id)
        #expect(Self.counts(running.app.accounts).lookups == before.lookups, "identify never reads the database")
        let resolved = try authenticator.resolve(bot)
        #expect(resolved.principal?.user.id == id && resolved.principal?.isBot == true)
        #expect(Self.counts(running.app.accounts).lookups == before.lookups + 1)
        // Resolving a decided caller costs nothing; the next identify is a cache hit.
        _ = try authenticator.resolve(resolved)
        guard case .authenticated = authenticator.identify(request(created.botAuth)) else { Issue.record("cached"); return }
        #expect(Self.counts(running.app.accounts).lookups == before.lookups + 1)

        let unknown = authenticator.identify(request(SessionToken.generate()))
        guard case .unresolved(let session) = unknown, session.kind == .session else { Issue.record("session"); return }
        guard case .refused(let refused?) = try authenticator.resolve(unknown) else { Issue.record("unknown session"); return }
        #expect(refused.hash == session.hash)
    }

    @Test func rateLimitKey_isTheUser_fromATokensFirstRequest() throws {
        let h = try AccountsHarness { config in
            Abuse.limitsOn(&config)
            config.rateLimitOverrides = ["auth:sessions": RateLimit(4, per: 60_000)]
        }
        defer { h.stop() }
        let account = try h.register(email: "ann@example.com")
        let second = try h.loginToken(account)
        // First (uncached), second (cached) and another session of the same user: one bucket, the user's.
        #expect(h.request("GET", "/auth/sessions", auth: account.token).header("X-RateLimit-Remaining") == "3")
        #expect(h.request("GET", "/auth/sessions", auth: account.token).header("X-RateLimit-Remaining") == "2")
        #expect(h.request("GET", "/auth/sessions", auth: second).header("X-RateLimit-Remaining") == "1")
        // The address's own bucket is untouched; a refused credential counts there, not the user's.
        #expect(h.request("GET", "/auth/sessions").header("X-RateLimit-Remaining") == "3")
        #expect(h.request("GET", "/auth/sessions", auth: SessionToken.generate()).header("X-RateLimit-Remaining") == "2")
        #expect(h.request("GET", "/auth/sessions", auth: second).header("X-RateLimit-Remaining") == "0")
    }

    /// A refresh supersedes its grant's access token, and only that credential leaves the cache: the user's session
    /// and other grants stay cached (forgetting the whole user at every rotation sent each of them back to the
    /// database), and what other processes are told names exactly the superseded token.
    @Test func refresh_forgetsOnlyTheSupersededAccessToken() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let first = try h.tokens(alice, client: client)
        let other = try h.tokens(alice, client: client)
        let accounts = h.running.app.accounts
        // Each credential once from the database, then cached.
        for auth in [alice.token, "Bearer " + first.access, "Bearer " + other.access] {
            #expect(h.get("/users/@me", auth: auth).status == 200)
            Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { h.get("/users/@me", auth: auth) }
        }
        let log = try h.count("cache_invalidations")
        let rotated = h.refresh(first.refresh, client: client)
        #expect(rotated.status == 200, "\(rotated.body)")
        // The superseded token: no longer cached, and gone from the database.
        Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 1), status: 401) { h.get("/users/@me", auth: "Bearer " + first.access) }
        // The session and the other grant's access token: still answered from memory.
        Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { h.get("/users/@me", auth: alice.token) }
        Self.expectCost(accounts, Counts(identified: 1, hashed: 1, lookups: 0), status: 200) { h.get("/users/@me", auth: "Bearer " + other.access) }
        let new = try #require(jsonObject(rotated.body)["access_token"] as? String)
        #expect(h.meStatus(bearer: new) == 200)
        // Other processes on the file are told the superseded token's hash, not the user. (PostgreSQL announces the
        // same payload with NOTIFY instead of the log table; CacheInvalidationTests covers its delivery.)
        if TestBackend.isPostgres {
            #expect(try h.count("cache_invalidations") == log)
        } else {
            #expect(try h.count("cache_invalidations") == log + 1)
            let payload = try h.database.read { try $0.queryOne("SELECT payload FROM cache_invalidations ORDER BY id DESC LIMIT 1")?.string("payload") }
            #expect(payload == "s" + Hex.encode(OAuthSecret.hash(first.access)))
            #expect(CacheInvalidationBus.parse(try #require(payload)).credentials == [OAuthSecret.hash(first.access)])
        }
    }

    @Test func eventLoopRoutes_areExemptFromRateLimits() throws {
        // They never reach the worker filter, where a caller the cache did not know is counted.
        let running = try RunningApp()
        defer { running.stop() }
        let router = Routes.make(running.app.context, accounts: running.app.accounts, sso: running.app.sso)
        for route in router.routes {
            if case .onEventLoop = route.handler {
                #expect(RateLimitBuckets.exempt.contains(route.pattern), "\(route.method) \(route.pattern)")
            }
        }
    }

    @Test func caller_fitsInlineInRequestStorage() {
        // An existential holds up to three words inline; a larger caller would be boxed (one allocation per
        // request on the hot path).
        #expect(MemoryLayout<Caller>.size <= 3 * MemoryLayout<Int>.size)
    }
}
#endif
