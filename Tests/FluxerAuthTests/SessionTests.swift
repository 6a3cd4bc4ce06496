import Foundation
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain
import FluxerPersistence

@Suite struct SessionTests {
    // MARK: - POST /auth/logout

    @Test func logout_endsTheCallingSession_bareOrBearer() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "lou@example.com")
        let other = try h.loginToken(account)
        for auth in [account.token, "Bearer \(other)"] {
            let token = auth.hasPrefix("Bearer ") ? String(auth.dropFirst(7)) : auth
            #expect(h.me(auth).status == 200)  // now cached
            let response = h.request("POST", "/auth/logout", auth: auth)
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
            let me = h.me(auth)
            #expect(me.status == 401, "\(auth.prefix(7))")
            #expect(me.body == unauthorizedBody)
            #expect(h.me(token).status == 401)
            #expect(try h.database.read { try $0.queryOne("SELECT count(*) AS n FROM sessions WHERE id_hash = ?", SessionToken.hash(token)) }?.int("n") == 0)
        }
        #expect(try h.count("sessions") == 0)
    }

    @Test func logout_withoutOrWithBadCredential_is204_andChangesNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "nolog@example.com")
        for auth in [nil, "flx_unknownunknownunknownunknownunknow", "garbage", "Bot \(account.token)", " \(account.token)x"] as [String?] {
            let response = try h.expectNoChange("logout \(auth ?? "nil")") { h.request("POST", "/auth/logout", auth: auth) }
            #expect(response.status == 204)
        }
        #expect(h.me(account.token).status == 200)
    }

    /// The session cache must never serve a revoked token: the very next request after logout is 401.
    @Test func revokedToken_isRefusedByTheVeryNextRequest() throws {
        let h = try AccountsHarness { config in
            config.loginEmailIPLimit = RateLimit(100, per: 60_000)
            config.loginEmailLimit = RateLimit(100, per: 60_000)
            config.loginIPLimit = RateLimit(100, per: 60_000)
        }
        defer { h.stop() }
        let account = try h.register(email: "race@example.com")
        for round in 0..<15 {
            let token = try h.loginToken(account)
            let auth = round.isMultiple(of: 2) ? token : "Bearer \(token)"
            #expect(h.me(auth).status == 200)
            #expect(h.me(auth).status == 200)  // served from the cache
            #expect(h.request("POST", "/auth/logout", auth: auth).status == 204)
            let after = h.me(auth)
            #expect(after.status == 401, "round \(round)")
            #expect(h.request("GET", "/auth/sessions", auth: auth).status == 401)
        }
        #expect(h.me(account.token).status == 200)
    }

    /// While another client keeps using a token, every request that starts after the logout answered is 401.
    @Test func revokedToken_underConcurrentUse_noRequestAfterLogoutSucceeds() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "busy@example.com")
        let port = h.port
        for round in 0..<3 {
            let token = round == 0 ? account.token : try h.loginToken(account)
            let results = Mutex<[(start: UInt64, status: Int)]>([])
            let stop = Atomic<Bool>(false)
            let user = Thread {
                while !stop.load(ordering: .acquiring) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let status = TestClient.request(port: port, "GET", "/users/@me", headers: [("Authorization", token)]).status
                    results.withLock { $0.append((start, status)) }
                }
            }
            user.start()
            usleep(20_000)
            #expect(h.request("POST", "/auth/logout", auth: token).status == 204)
            let loggedOut = DispatchTime.now().uptimeNanoseconds
            usleep(30_000)
            stop.store(true, ordering: .releasing)
            while !user.isFinished { usleep(1_000) }
            let all = results.withLock { $0 }
            let before = all.filter { $0.start < loggedOut }
            let after = all.filter { $0.start > loggedOut }
            #expect(before.contains { $0.status == 200 }, "round \(round)")
            #expect(!after.isEmpty, "round \(round)")
            #expect(after.allSatisfy { $0.status == 401 }, "round \(round): \(after.map(\.status))")
        }
    }

    // MARK: - GET /auth/sessions

    @Test func listSessions_sortedByLastUse_currentOnlyForCaller_clientInfoParsed() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "list@example.com")
        #expect(h.request("POST", "/auth/logout", auth: account.token).status == 204)
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
        let t0 = h.clock.now
        let a = try h.loginToken(account, headers: [("User-Agent", chrome)])
        h.clock.advance(milliseconds: 1_000)
        let b = try h.loginToken(account, headers: [("User-Agent", firefox)])
        h.clock.advance(milliseconds: 1_000)
        let c = try h.loginToken(account, headers: [("User-Agent", chrome), ("X-Fluxer-Platform", "desktop")])
        let other = try h.register(email: "someone.else@example.com")

        let first = h.request("GET", "/auth/sessions", auth: c)
        #expect(first.status == 200)
        let list = try #require(jsonValue(first) as? [[String: Any]])
        #expect(list.map { $0["id_hash"] as? String } == [idHash(of: c), idHash(of: b), idHash(of: a)])
        #expect(list.map { $0["current"] as? Bool } == [true, false, false])
        #expect(!list.contains { ($0["id_hash"] as? String) == idHash(of: other.token) })
        for item in list {
            let hash = try #require(item["id_hash"] as? String)
            #expect(hash.count == 43)
            #expect(hash.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
        let infos = list.map { $0["client_info"] as? [String: Any] ?? [:] }
        #expect(infos[0]["platform"] as? String == "Fluxer Desktop")
        #expect(infos[1]["platform"] as? String == "Firefox")
        #expect(infos[1]["os"] as? String == "Linux")
        #expect(infos[2]["platform"] as? String == "Chrome")
        #expect(infos[2]["os"] as? String == "Windows")
        #expect(infos.allSatisfy { $0["location"] is NSNull })
        #expect(list[2]["approx_last_used_at"] as? String == ISO8601.format(milliseconds: t0))
        #expect(list[0]["approx_last_used_at"] as? String == ISO8601.format(milliseconds: t0 + 2_000))
        #expect(list[0]["created_at"] as? String == ISO8601.format(milliseconds: t0 + 2_000))
        #expect(list.allSatisfy { ($0["last_used_at"] as? String) == ($0["approx_last_used_at"] as? String) })

        // Using A a minute later moves it to the front once the use is written (at most once a minute).
        h.clock.advance(milliseconds: 59_000)  // t0 + 61 s: C was last written 59 s ago, so listing does not touch it
        #expect(h.me(a).status == 200)
        h.accounts.touches.flush()
        let second = try #require(jsonValue(h.request("GET", "/auth/sessions", auth: "Bearer \(b)")) as? [[String: Any]])
        #expect(second.map { $0["id_hash"] as? String } == [idHash(of: a), idHash(of: c), idHash(of: b)])
        #expect(second.map { $0["current"] as? Bool } == [false, false, true])
        #expect(second.first?["approx_last_used_at"] as? String == ISO8601.format(milliseconds: t0 + 61_000))
    }

    @Test func listSessions_withoutValidSession_is401() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "anon@example.com")
        for auth in [nil, "flx_000000000000000000000000000000000000", "Bot \(account.token)"] as [String?] {
            let response = h.request("GET", "/auth/sessions", auth: auth)
            #expect(response.status == 401)
            #expect(response.body == unauthorizedBody)
        }
    }

    // MARK: - POST /auth/sessions/logout

    @Test func sessionsLogout_sudoAndValidation_failuresChangeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "sudo@example.com")
        let second = try h.loginToken(account)
        let hashes = [idHash(of: second)]

        let noPassword = try h.expectNoChange("no password") {
            h.post("/auth/sessions/logout", ["session_id_hashes": hashes], auth: account.token)
        }
        #expect(noPassword.status == 403)
        #expect(errorCode(noPassword) == "SUDO_MODE_REQUIRED")
        #expect(jsonObject(noPassword)?["has_mfa"] as? Bool == false)
        let emptyPassword = try h.expectNoChange("empty password") {
            h.post("/auth/sessions/logout", ["session_id_hashes": hashes, "password": ""], auth: account.token)
        }
        #expect(emptyPassword.status == 403)

        let wrong = try h.expectNoChange("wrong password") {
            h.post("/auth/sessions/logout", ["session_id_hashes": hashes, "password": "not my password"], auth: account.token)
        }
        #expect(wrong.status == 400)
        #expect(formErrors(wrong) == [FormError(path: "password", code: "INVALID_PASSWORD")])
        let short = try h.expectNoChange("short password") {
            h.post("/auth/sessions/logout", ["session_id_hashes": hashes, "password": "short"], auth: account.token)
        }
        #expect(formErrors(short) == [FormError(path: "password", code: "INVALID_PASSWORD")])

        let tooMany = (0..<101).map { idHash(of: "flx_\($0)") }
        let over = try h.expectNoChange("101 hashes") {
            h.post("/auth/sessions/logout", ["session_id_hashes": tooMany, "password": account.password], auth: account.token)
        }
        #expect(over.status == 400)
        #expect(formErrors(over).map(\.path) == ["session_id_hashes"])

        let invalid: [(String, [String: Any], FormError)] = [
            ("missing hashes", ["password": account.password], .init(path: "session_id_hashes", code: "BASE_TYPE_REQUIRED")),
            ("hashes wrong type", ["session_id_hashes": "abc", "password": account.password], .init(path: "session_id_hashes", code: "BASE_TYPE_INVALID")),
            ("hash wrong type", ["session_id_hashes": [1], "password": account.password], .init(path: "session_id_hashes.0", code: "BASE_TYPE_INVALID")),
            ("password wrong type", ["session_id_hashes": hashes, "password": true], .init(path: "password", code: "BASE_TYPE_INVALID")),
        ]
        for (label, body, expected) in invalid {
            let response = try h.expectNoChange(label) { h.post("/auth/sessions/logout", body, auth: account.token) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        let unauthenticated = try h.expectNoChange("no session") {
            h.post("/auth/sessions/logout", ["session_id_hashes": hashes, "password": account.password])
        }
        #expect(unauthenticated.status == 401)
        let media = try h.expectNoChange("415") {
            h.request("POST", "/auth/sessions/logout", json: jsonText(["session_id_hashes": hashes, "password": account.password]),
                      auth: account.token, headers: [("Content-Type", "text/plain")])
        }
        #expect(media.status == 415)
        #expect(h.me(second).status == 200)
    }

    @Test func sessionsLogout_removesListedOwnSessions_ignoresUnknownAndOthers() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "owner@example.com")
        let b = try h.loginToken(account)
        let c = try h.loginToken(account)
        let d = try h.loginToken(account)
        let stranger = try h.register(email: "stranger@example.com")
        for token in [account.token, b, c, d, stranger.token] { #expect(h.me(token).status == 200) }  // all cached

        let body: [String: Any] = [
            "session_id_hashes": [idHash(of: b), idHash(of: c), idHash(of: stranger.token), idHash(of: "flx_never"), "not-base64!", "AAAA"],
            "password": account.password,
        ]
        let response = h.post("/auth/sessions/logout", body, auth: account.token)
        #expect(response.status == 204)
        #expect(h.me(b).status == 401)
        #expect(h.me(c).status == 401)
        #expect(h.me(account.token).status == 200)
        #expect(h.me(d).status == 200)
        #expect(h.me(stranger.token).status == 200)
        #expect(try h.count("sessions", where: "user_id = \(stranger.userID)") == 1)
        let listed = try #require(jsonValue(h.request("GET", "/auth/sessions", auth: account.token)) as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["id_hash"] as? String }) == [idHash(of: account.token), idHash(of: d)])

        // The caller may end its own session too.
        #expect(h.post("/auth/sessions/logout", ["session_id_hashes": [idHash(of: account.token)], "password": account.password],
                       auth: d).status == 204)
        #expect(h.me(account.token).status == 401)
        #expect(h.me(d).status == 200)
        // 100 hashes is the limit, and allowed.
        let hundred = (0..<100).map { idHash(of: "flx_unknown\($0)") }
        #expect(try h.expectNoChange("100 unknown hashes") {
            h.post("/auth/sessions/logout", ["session_id_hashes": hundred, "password": account.password], auth: d)
        }.status == 204)
        // An empty list is a no-op.
        #expect(try h.expectNoChange("empty list") {
            h.post("/auth/sessions/logout", ["session_id_hashes": [String](), "password": account.password], auth: d)
        }.status == 204)
    }

    /// An unclaimed account (registered without email or password) has no password to prove: sudo passes, as
    /// on the real server. Before the fix it could never end a session (403 without a password, 400 with any).
    @Test func sessionsLogout_unclaimedAccount_passesSudoWithoutPassword() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let response = h.post("/auth/register", AccountsHarness.registrationBody(email: nil, password: nil, globalName: "Guest"))
        let object = try #require(jsonObject(response))
        let token = try #require(object["token"] as? String)
        let userID = try #require((object["user_id"] as? String).flatMap { UInt64($0) })
        let other = try h.database.write { db in
            try SessionStore.create(userID: userID, ip: nil, userAgent: nil, isDesktop: false, now: h.clock.now, in: db)
        }
        #expect(h.me(other).status == 200)
        let logout = h.post("/auth/sessions/logout", ["session_id_hashes": [idHash(of: other)]], auth: token)
        #expect(logout.status == 204, "\(logout.body)")
        #expect(h.me(other).status == 401)
        #expect(h.me(token).status == 200)
    }
}
