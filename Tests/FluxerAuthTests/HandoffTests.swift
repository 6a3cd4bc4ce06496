import FluxerCrypto
import FluxerPersistence
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// Desktop handoff (`/auth/handoff/*`): the desktop asks for a code, a signed-in browser completes it, the
/// desktop picks up a session of its own once.
@Suite struct HandoffTests {
    /// A harness whose client address comes from `X-Forwarded-For` (so tests can be several clients).
    static func harness(_ configure: @escaping (inout Config) -> Void = { _ in }) throws -> AccountsHarness {
        try AccountsHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            configure(&config)
        }
    }

    static func from(_ ip: String) -> [(String, String)] { [("X-Forwarded-For", ip)] }
    static let desktop = "203.0.113.10"
    static let browser = "198.51.100.20"

    func initiate(_ h: AccountsHarness, ip: String = desktop) throws -> String {
        let response = h.request("POST", "/auth/handoff/initiate", headers: Self.from(ip))
        #expect(response.status == 200, "\(response.body)")
        return try #require(jsonObject(response)?["code"] as? String)
    }

    func status(_ h: AccountsHarness, _ code: String, ip: String = desktop, headers: [(String, String)] = []) -> TestResponse {
        h.request("GET", "/auth/handoff/\(code)/status", headers: Self.from(ip) + headers)
    }

    func complete(_ h: AccountsHarness, _ body: [String: Any], ip: String = browser) -> TestResponse {
        h.post("/auth/handoff/complete", body, headers: Self.from(ip))
    }

    /// The rows a failed call must leave alone: accounts (users, sessions, tokens, outbox) and the hand-overs.
    func state(_ h: AccountsHarness) throws -> [String] {
        let accounts = try h.snapshot()
        let handoffs = try h.database.read { db in
            try db.query("SELECT * FROM desktop_handoffs ORDER BY code_hash").map { row in
                zip(row.columnNames, row.values).map { "\($0)=\($1)" }.joined(separator: " ")
            }
        }
        // A session's use time moves on its own (the touch queue) whenever the clock has moved; it is not a change.
        let sessions = accounts.sessions.map { $0.replacingOccurrences(of: #"last_used_at=\S+"#, with: "", options: .regularExpression) }
        return accounts.users + sessions + accounts.emailTokens + accounts.outbox + handoffs
    }

    @Test func fullFlow_desktopGetsItsOwnSessionOnce() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let browser = try h.register(email: "hand@example.com")
        let initiated = h.request("POST", "/auth/handoff/initiate", headers: Self.from(Self.desktop))
        #expect(initiated.status == 200)
        let body = try #require(jsonObject(initiated))
        #expect(Set(body.keys) == ["code", "expires_at"])
        let code = try #require(body["code"] as? String)
        #expect(code.range(of: "^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}$", options: .regularExpression) != nil)
        #expect(body["expires_at"] as? String == ISO8601.format(milliseconds: h.clock.now + 5 * 60_000))
        // Only an HMAC of the code is stored, and no session token ever.
        let stored = try h.database.read { db in try db.queryOne("SELECT code_hash, session_hash FROM desktop_handoffs") }
        #expect(stored?.blob("code_hash")?.count == 32)
        #expect(stored?.blob("code_hash") != SHA256.hash(Array(code.replacingOccurrences(of: "-", with: "").utf8)))

        let pending = status(h, code)
        #expect(pending.status == 200)
        #expect(pending.body == #"{"status":"pending"}"#)

        let completed = complete(h, ["code": code, "token": browser.token, "user_id": browser.userID])
        #expect(completed.status == 204, "\(completed.body)")
        #expect(try h.count("sessions", where: "user_id = \(browser.userID)") == 1)  // no session until pickup

        let picked = status(h, code, headers: [("X-Fluxer-Platform", "desktop"), ("User-Agent", "FluxerDesktop/1.0")])
        #expect(picked.status == 200)
        let result = try #require(jsonObject(picked))
        #expect(Set(result.keys) == ["status", "token", "user_id"])
        #expect(result["status"] as? String == "completed")
        #expect(result["user_id"] as? String == browser.userID)
        let token = try #require(result["token"] as? String)
        #expect(token != browser.token)
        #expect(SessionToken.isWellFormed(token[...]))
        #expect(jsonObject(h.me(token))?["id"] as? String == browser.userID)
        #expect(h.me(browser.token).status == 200)
        let desktopSession = try h.database.read { db in
            try db.queryOne("SELECT is_desktop, user_agent FROM sessions WHERE id_hash = ?", SHA256.hash(Array(token.utf8)))
        }
        #expect(desktopSession?.bool("is_desktop") == true)
        #expect(desktopSession?.string("user_agent") == "FluxerDesktop/1.0")

        // Spent: every later poll answers expired, and no second session is made.
        #expect(status(h, code).body == #"{"status":"expired"}"#)
        #expect(try h.count("sessions", where: "user_id = \(browser.userID)") == 2)
        #expect(try h.count("desktop_handoffs") == 0)
        #expect(try auditRows(h.running.app).map(\.event).filter { $0.hasPrefix("handoff.") } == ["handoff.complete", "handoff.pickup"])
    }

    @Test func codes_acceptedWithoutDashAndInAnyCase() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let browser = try h.register(email: "norm@example.com")
        let code = try initiate(h)
        #expect(jsonObject(status(h, code.replacingOccurrences(of: "-", with: "")))?["status"] as? String == "pending")
        #expect(jsonObject(status(h, code.lowercased()))?["status"] as? String == "pending")
        #expect(complete(h, ["code": code.lowercased(), "token": browser.token, "user_id": browser.userID]).status == 204)
        let picked = status(h, code.replacingOccurrences(of: "-", with: "").lowercased())
        #expect(jsonObject(picked)?["status"] as? String == "completed")
    }

    @Test func complete_failures_changeNothing() throws {
        let h = try Self.harness { $0.handoffCompleteLimit = RateLimit(1_000, per: 60_000) }
        defer { h.stop() }
        let browser = try h.register(email: "fail@example.com")
        let other = try h.register(email: "other@example.com")
        let revoked = try h.loginToken(browser)
        #expect(h.request("POST", "/auth/logout", auth: revoked).status == 204)
        let app = h.post("/oauth2/applications", ["name": "Handoff Bot"], auth: browser.token)
        let botToken = try #require((jsonObject(app)?["bot"] as? [String: Any])?["token"] as? String)
        let code = try initiate(h)
        let spent = try initiate(h)
        #expect(complete(h, ["code": spent, "token": browser.token, "user_id": browser.userID]).status == 204)

        let cases: [(String, [String: Any], Int, String, [FormError])] = [
            ("no code", ["token": browser.token, "user_id": browser.userID], 400, "INVALID_FORM_BODY", [.init(path: "code", code: "BASE_TYPE_REQUIRED")]),
            ("no token", ["code": code, "user_id": browser.userID], 400, "INVALID_FORM_BODY", [.init(path: "token", code: "BASE_TYPE_REQUIRED")]),
            ("no user_id", ["code": code, "token": browser.token], 400, "INVALID_FORM_BODY", [.init(path: "user_id", code: "BASE_TYPE_REQUIRED")]),
            ("token not a string", ["code": code, "token": 5, "user_id": browser.userID], 400, "INVALID_FORM_BODY",
             [.init(path: "token", code: "BASE_TYPE_INVALID")]),
            ("bad token and bad code", ["code": "bad-code", "token": "bad-token", "user_id": "123"], 401, "INVALID_TOKEN", []),
            ("unknown session token", ["code": code, "token": "flx_" + String(repeating: "a", count: 36), "user_id": browser.userID], 401,
             "INVALID_TOKEN", []),
            ("logged-out session", ["code": code, "token": revoked, "user_id": browser.userID], 401, "INVALID_TOKEN", []),
            ("bot token", ["code": code, "token": botToken, "user_id": browser.userID], 401, "INVALID_TOKEN", []),
            ("prefixed session token", ["code": code, "token": "Bearer " + browser.token, "user_id": browser.userID], 401, "INVALID_TOKEN", []),
            ("someone else's user id", ["code": code, "token": browser.token, "user_id": other.userID], 400, "SESSION_TOKEN_MISMATCH", []),
            ("user id not a snowflake", ["code": code, "token": browser.token, "user_id": "x"], 400, "SESSION_TOKEN_MISMATCH", []),
            ("malformed code", ["code": "ABCD-EFG1", "token": browser.token, "user_id": browser.userID], 400, "INVALID_HANDOFF_CODE", []),
            ("overlong code", ["code": String(repeating: "A", count: 100), "token": browser.token, "user_id": browser.userID], 400,
             "INVALID_HANDOFF_CODE", []),
            ("unknown code", ["code": "ZZZZ-ZZZZ", "token": browser.token, "user_id": browser.userID], 400, "INVALID_HANDOFF_CODE", []),
            ("already completed", ["code": spent, "token": browser.token, "user_id": browser.userID], 400, "INVALID_HANDOFF_CODE", []),
        ]
        for (label, body, status, code, errors) in cases {
            let before = try state(h)
            let response = complete(h, body)
            #expect(response.status == status, "\(label): \(response.body)")
            #expect(errorCode(response) == code, "\(label): \(response.body)")
            if !errors.isEmpty { #expect(formErrors(response) == errors, "\(label)") }
            #expect(try state(h) == before, "\(label) changed the database")
        }
        #expect(jsonObject(status(h, code))?["status"] as? String == "pending")

        h.clock.advance(milliseconds: 5 * 60_000)
        let before = try state(h)
        let expired = complete(h, ["code": code, "token": browser.token, "user_id": browser.userID])
        #expect(expired.status == 400)
        #expect(errorCode(expired) == "HANDOFF_CODE_EXPIRED")
        #expect(try state(h) == before)
        // The completed one expired too: nothing to pick up.
        #expect(status(h, spent).body == #"{"status":"expired"}"#)
        #expect(try h.count("sessions", where: "user_id = \(browser.userID)") == 1)
    }

    @Test func anotherClient_seesExpired_cannotPickUpOrCancel() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let browser = try h.register(email: "client@example.com")
        let code = try initiate(h, ip: Self.desktop)
        let stranger = "192.0.2.99"
        #expect(status(h, code, ip: stranger).body == #"{"status":"expired"}"#)
        // The browser (another address) completes; the stranger still gets nothing, and cannot cancel.
        #expect(complete(h, ["code": code, "token": browser.token, "user_id": browser.userID], ip: stranger).status == 204)
        #expect(status(h, code, ip: stranger).body == #"{"status":"expired"}"#)
        #expect(h.request("DELETE", "/auth/handoff/\(code)", headers: Self.from(stranger)).status == 204)
        #expect(try h.count("desktop_handoffs") == 1)
        #expect(try h.count("sessions") == 1)
        // The desktop picks it up.
        #expect(jsonObject(status(h, code, ip: Self.desktop))?["status"] as? String == "completed")
    }

    @Test func expiry_cancel_andMalformedCodes() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let browser = try h.register(email: "cancel@example.com")
        let code = try initiate(h)
        h.clock.advance(milliseconds: 5 * 60_000 - 1)
        #expect(jsonObject(status(h, code))?["status"] as? String == "pending")
        h.clock.advance(milliseconds: 1)
        #expect(status(h, code).body == #"{"status":"expired"}"#)

        let cancelled = try initiate(h)
        let deleted = h.request("DELETE", "/auth/handoff/\(cancelled)", headers: Self.from(Self.desktop))
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        #expect(status(h, cancelled).body == #"{"status":"expired"}"#)
        let late = complete(h, ["code": cancelled, "token": browser.token, "user_id": browser.userID])
        #expect(errorCode(late) == "INVALID_HANDOFF_CODE")
        // Cancelling a code that is not there is still 204.
        #expect(h.request("DELETE", "/auth/handoff/\(cancelled)", headers: Self.from(Self.desktop)).status == 204)

        for malformed in ["unknown-code", "ABCD", "ABCD-EFGI", "ABCD-EFGH-J", String(repeating: "A", count: 40)] {
            let before = try state(h)
            let s = status(h, malformed)
            #expect(s.status == 400, "\(malformed)")
            #expect(errorCode(s) == "INVALID_HANDOFF_CODE", "\(malformed)")
            let d = h.request("DELETE", "/auth/handoff/\(malformed)", headers: Self.from(Self.desktop))
            #expect(d.status == 400, "\(malformed)")
            #expect(errorCode(d) == "INVALID_HANDOFF_CODE", "\(malformed)")
            #expect(try state(h) == before)
        }
    }

    @Test func browserLogoutBeforePickup_cancelsTheHandoff() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try h.register(email: "logout@example.com")
        let browser = try h.loginToken(account)
        let code = try initiate(h)
        #expect(complete(h, ["code": code, "token": browser, "user_id": account.userID]).status == 204)
        #expect(h.request("POST", "/auth/logout", auth: browser).status == 204)
        #expect(try h.count("desktop_handoffs") == 0)
        #expect(status(h, code).body == #"{"status":"expired"}"#)
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 1)
    }

    @Test func completions_limitedPerClientAndPerUser() throws {
        let h = try Self.harness { $0.handoffCompleteLimit = RateLimit(3, per: 10 * 60_000) }
        defer { h.stop() }
        let alice = try h.register(email: "alice@example.com")
        let bob = try h.register(email: "bob@example.com")
        let code = try initiate(h)
        for _ in 0..<3 {
            #expect(errorCode(complete(h, ["code": "ZZZZ-ZZZZ", "token": alice.token, "user_id": alice.userID], ip: "192.0.2.1")) == "INVALID_HANDOFF_CODE")
        }
        // The client is out of attempts, even with the right code.
        let byClient = complete(h, ["code": code, "token": bob.token, "user_id": bob.userID], ip: "192.0.2.1")
        #expect(byClient.status == 429)
        #expect(errorCode(byClient) == "RATE_LIMITED")
        // So is Alice, from any client.
        let byUser = complete(h, ["code": code, "token": alice.token, "user_id": alice.userID], ip: "192.0.2.2")
        #expect(byUser.status == 429)
        #expect(byUser.header("Retry-After") != nil)
        #expect(jsonObject(status(h, code))?["status"] as? String == "pending")
        // Bob, from a fresh client, completes it.
        #expect(complete(h, ["code": code, "token": bob.token, "user_id": bob.userID], ip: "192.0.2.3").status == 204)
        #expect(jsonObject(status(h, code))?["user_id"] as? String == bob.userID)
    }

    @Test func routeBuckets_limitPollsPerClient() throws {
        let h = try Self.harness { config in
            config.rateLimitsEnabled = true
            config.rateLimitOverrides = ["auth:handoff:status": RateLimit(2, per: 60_000)]
        }
        defer { h.stop() }
        let code = try initiate(h)
        #expect(status(h, code).status == 200)
        #expect(status(h, code).header("X-RateLimit-Bucket") == "auth:handoff:status")
        let limited = status(h, code)
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
        #expect(status(h, code, ip: "192.0.2.50").status == 200)
        #expect(h.request("POST", "/auth/handoff/initiate", headers: Self.from(Self.desktop)).header("X-RateLimit-Bucket") == "auth:handoff:initiate")
    }

    @Test func initiations_limitedPerClient() throws {
        let h = try Self.harness { $0.handoffInitiateLimit = RateLimit(2, per: 3_600_000) }
        defer { h.stop() }
        _ = try initiate(h)
        _ = try initiate(h)
        let limited = h.request("POST", "/auth/handoff/initiate", headers: Self.from(Self.desktop))
        #expect(limited.status == 429)
        #expect(try h.count("desktop_handoffs") == 2)
        _ = try initiate(h, ip: "192.0.2.77")
    }

    @Test func racingCompletionsAndPolls_eachWinsOnce() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let a = try h.register(email: "race-a@example.com")
        let b = try h.register(email: "race-b@example.com")
        let code = try initiate(h)
        let port = h.port
        let bodies = [a, b].map { jsonText(["code": code, "token": $0.token, "user_id": $0.userID]) }
        let completions = concurrently(6) { i in
            TestClient.request(port: port, "POST", "/auth/handoff/complete",
                               headers: [("Content-Type", "application/json")] + Self.from(Self.browser), body: bodies[i % 2])
        }
        #expect(completions.filter { $0.status == 204 }.count == 1)
        #expect(completions.filter { errorCode($0) == "INVALID_HANDOFF_CODE" }.count == 5)
        let polls = concurrently(6) { _ in TestClient.request(port: port, "GET", "/auth/handoff/\(code)/status", headers: Self.from(Self.desktop)) }
        #expect(polls.filter { jsonObject($0)?["status"] as? String == "completed" }.count == 1)
        #expect(polls.filter { $0.body == #"{"status":"expired"}"# }.count == 5)
        #expect(try h.count("sessions") == 3)
    }

    @Test func sweep_removesExpiredHandoffsAndEmailLinks() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        let db = try config.openDatabase(readers: 2, poolSize: 8)
        defer { db.close() }
        let now = Clock.wallMilliseconds()
        try db.write { c in
            try c.run("INSERT INTO users (id, username, discriminator, created_at) VALUES (1, 'u', 1, 0)")
            try c.run("INSERT INTO desktop_handoffs (code_hash, client_key, created_at, expires_at) VALUES (?, 'a', 0, ?), (?, 'a', 0, ?)",
                      [UInt8(1)], now - 1, [UInt8(2)], now + 60_000)
            try c.run("""
                INSERT INTO email_change_tokens (token_hash, user_id, purpose, email, email_key, created_at, expires_at)
                VALUES (?, 1, 'email_change', 'a@b.c', 'a@b.c', 0, ?), (?, 1, 'email_revert', 'a@b.c', 'a@b.c', 0, ?)
                """, [UInt8(3)], now - 1, [UInt8(4)], now + 60_000)
        }
        #expect(Maintenance(database: db, clock: { now }).runOnce() == 2)
        let left = try db.read { c in
            (try c.queryOne("SELECT count(*) AS n FROM desktop_handoffs")?.int("n"), try c.queryOne("SELECT count(*) AS n FROM email_change_tokens")?.int("n"))
        }
        #expect(left.0 == 1 && left.1 == 1)
    }
}
