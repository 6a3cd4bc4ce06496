import Foundation
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import HTTPServer
import FluxerDomain
import FluxerPersistence

@Suite struct LoginTests {
    @Test func login_success_createsSession_caseInsensitiveEmail() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "Bob@Example.com")
        for email in ["Bob@Example.com", "bob@example.com", "BOB@EXAMPLE.COM"] {
            let response = h.login(email, account.password, headers: [("User-Agent", "curl/8.5.0")])
            #expect(response.status == 200, "\(email)")
            let object = try #require(jsonObject(response))
            #expect(Set(object.keys) == ["user_id", "token"])
            #expect(object["user_id"] as? String == account.userID)
            let token = try #require(object["token"] as? String)
            #expect(token.hasPrefix("flx_") && token.count == 40 && token != account.token)
            #expect(h.me(token).status == 200)
        }
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 4)
        #expect(try h.count("sessions", where: "user_agent = 'curl/8.5.0' AND client_ip = '127.0.0.1'") == 3)
    }

    @Test func login_unknownEmailAndWrongPassword_giveTheIdenticalAnswer_andChangeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "carol@example.com")
        let wrong = try h.expectNoChange("wrong password") { h.login(account.email, "not the password") }
        let unknown = try h.expectNoChange("unknown email") { h.login("nobody@example.com", account.password) }
        #expect(wrong.status == 400)
        #expect(unknown.status == 400)
        #expect(wrong.body == unknown.body)
        #expect(wrong.body == #"{"code":"INVALID_FORM_BODY","message":"Invalid form body.","errors":[{"path":"email","message":"Invalid email or password.","code":"INVALID_EMAIL_OR_PASSWORD"},{"path":"password","message":"Invalid email or password.","code":"INVALID_EMAIL_OR_PASSWORD"}]}"#)
    }

    /// A hash made with other argon2id parameters still verifies and is replaced by one with the configured
    /// parameters; that is not a password change.
    @Test func login_upgradesAHashWithOldParameters() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let old = try PasswordHasher(opsLimit: 2, memLimitBytes: 16 * 1024).hash("an old password")
        #expect(h.accounts.hashPool.hasher.needsRehash(old))
        let id = try h.running.app.context.snowflakes.next()
        _ = try h.database.write { db in
            try UserStore.insert(.init(id: id, username: "legacy", email: "legacy@example.com", passwordHash: old, createdAt: 1_000), in: db)
        }
        #expect(h.login("legacy@example.com", "an old password").status == 200)
        let row = try #require(try h.userRow(id: String(id)))
        let upgraded = try #require(row.string("password_hash"))
        #expect(upgraded != old)
        #expect(!h.accounts.hashPool.hasher.needsRehash(upgraded))
        #expect(row.int("password_changed_at") == 1_000)
        #expect(h.login("legacy@example.com", "an old password").status == 200)
        #expect(h.login("legacy@example.com", "a wrong password").status == 400)
    }

    @Test func login_accountWithoutPassword_isInvalidCredentials() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        // An unclaimed account (registered without a password) cannot log in with any password.
        #expect(h.post("/auth/register", AccountsHarness.registrationBody(email: "nopass@example.com", password: nil)).status == 200)
        let response = try h.expectNoChange("no password") { h.login("nopass@example.com", "anything at all") }
        #expect(response.status == 400)
        #expect(formErrors(response).map(\.code) == ["INVALID_EMAIL_OR_PASSWORD", "INVALID_EMAIL_OR_PASSWORD"])
    }

    @Test func login_validationFailures_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        try h.register(email: "dave@example.com")
        let cases: [(String, [String: Any], [FormError])] = [
            ("missing email", ["password": "long enough"], [.init(path: "email", code: "BASE_TYPE_REQUIRED")]),
            ("missing password", ["email": "dave@example.com"], [.init(path: "password", code: "BASE_TYPE_REQUIRED")]),
            ("password wrong type", ["email": "dave@example.com", "password": 12345678], [.init(path: "password", code: "BASE_TYPE_INVALID")]),
            ("email null", ["email": NSNull(), "password": "long enough"], [.init(path: "email", code: "BASE_TYPE_REQUIRED")]),
            ("email too long", ["email": String(repeating: "e", count: 250) + "@x.io", "password": "long enough"],
             [.init(path: "email", code: "EMAIL_LENGTH_INVALID")]),
            ("email empty", ["email": "", "password": "long enough"], [.init(path: "email", code: "EMAIL_LENGTH_INVALID")]),
            ("password too short", ["email": "dave@example.com", "password": "short"], [.init(path: "password", code: "PASSWORD_LENGTH_INVALID")]),
            ("password too long", ["email": "dave@example.com", "password": String(repeating: "p", count: 257)],
             [.init(path: "password", code: "PASSWORD_LENGTH_INVALID")]),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNoChange(label) { h.post("/auth/login", body) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == expected, "\(label): \(response.body)")
        }
        let plain = try h.expectNoChange("text/plain") {
            h.request("POST", "/auth/login", json: #"{"email":"dave@example.com","password":"correct horse battery"}"#,
                      headers: [("Content-Type", "text/plain")])
        }
        #expect(plain.status == 415)
        // Validation failures answer before the throttle: none of the above used up an attempt.
        #expect(try h.count("rate_limits") == 0)
    }

    @Test func login_throttledPerEmail_429WithRetryAfter_thenRecovers() throws {
        let h = try AccountsHarness { $0.loginEmailLimit = RateLimit(3, per: 60_000) }
        defer { h.stop() }
        let account = try h.register(email: "erin@example.com")
        try h.register(email: "frank@example.com")
        #expect(h.login(account.email, "wrong password 1").status == 400)
        #expect(h.login("ERIN@example.com", "wrong password 2").status == 400)
        #expect(h.login(account.email, account.password).status == 200)  // every attempt counts, successes too
        let limited = try h.expectNoChange("throttled") { h.login(account.email, account.password) }
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
        #expect(limited.header("Retry-After") == "20")
        let retryAfter = try #require(jsonObject(limited)?["retry_after"] as? Double)
        #expect(retryAfter > 19 && retryAfter <= 20)
        #expect(jsonObject(limited)?["global"] as? Bool == false)
        // Another email from the same address is not affected.
        #expect(h.login("frank@example.com", AccountsHarness.defaultPassword).status == 200)
        h.clock.advance(milliseconds: 19_000)
        #expect(h.login(account.email, account.password).status == 429)
        h.clock.advance(milliseconds: 1_000)
        #expect(h.login(account.email, account.password).status == 200)
    }

    @Test func login_throttledPerIP() throws {
        let h = try AccountsHarness { $0.loginIPLimit = RateLimit(3, per: 90_000) }
        defer { h.stop() }
        let account = try h.register(email: "gina@example.com")
        #expect(h.login("x1@example.com", "whatever123").status == 400)
        #expect(h.login("x2@example.com", "whatever123").status == 400)
        #expect(h.login(account.email, account.password).status == 200)
        let limited = try h.expectNoChange("throttled by IP") { h.login(account.email, account.password) }
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "30")
        #expect(errorCode(limited) == "RATE_LIMITED")
    }

    @Test func login_botUser_isForbidden() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        _ = try h.insertBotUser(email: "bot@example.com", password: "bot password 1")
        let response = try h.expectNoChange("bot login") { h.login("bot@example.com", "bot password 1") }
        #expect(response.status == 403)
        #expect(errorCode(response) == "BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED")
        #expect(try h.count("sessions") == 0)
    }

    /// 20 logins with the real server's argon2id cost (64 MiB, 3 passes) run on the hash pool while
    /// `GET /users/@me` keeps answering quickly: password hashing never occupies the threads that check tokens.
    @Test func concurrentLogins_proceed_whileUsersMeKeepsAnswering() throws {
        let h = try AccountsHarness { config in
            config.argon2OpsLimit = 3
            config.argon2MemoryKiB = 64 * 1024
            config.hashThreads = 2
            config.loginIPLimit = RateLimit(1_000, per: 60_000)
        }
        defer { h.stop() }
        // Five users, four logins each: within the per-email limit (5 per 15 minutes).
        var users: [TestAccount] = []
        for i in 0..<5 { users.append(try h.register(email: "storm\(i)@example.com")) }
        let watcher = users[0].token
        #expect(h.me(watcher).status == 200)

        let loginStatuses = Mutex<[Int]>([])
        let meResults = Mutex<[(status: Int, ms: Int64)]>([])
        let loginsDone = Atomic<Int>(0)
        let started = Clock.wallMilliseconds()
        let port = h.port
        let meThread = Thread {
            while loginsDone.load(ordering: .acquiring) < 20 {
                var status = 0
                let ms = elapsedMilliseconds {
                    status = TestClient.request(port: port, "GET", "/users/@me", headers: [("Authorization", watcher)]).status
                }
                meResults.withLock { $0.append((status, ms)) }
                usleep(2_000)
            }
        }
        meThread.start()
        let group = DispatchGroup()
        for i in 0..<20 {
            let user = users[i % users.count]
            group.enter()
            Thread {
                let body = jsonText(["email": user.email, "password": user.password])
                // Twenty 64 MiB hashes queue on two threads: the last waits several seconds, more on a loaded host.
                let response = TestClient.request(port: port, "POST", "/auth/login",
                                                  headers: [("Content-Type", "application/json")], body: body, timeoutSeconds: 60)
                loginStatuses.withLock { $0.append(response.status) }
                loginsDone.add(1, ordering: .releasing)
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 90) == .success)
        while !meThread.isFinished { usleep(1_000) }
        let total = Clock.wallMilliseconds() - started

        let statuses = loginStatuses.withLock { $0 }
        #expect(statuses.count == 20)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let answers = meResults.withLock { $0 }
        #expect(answers.count >= 3, "only \(answers.count) /users/@me answers during \(total) ms of logins")
        #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.map(\.status))")
        let slowest = answers.map(\.ms).max() ?? 0
        #expect(slowest < 1_000, "slowest /users/@me took \(slowest) ms")
        #expect(try h.count("sessions") == 25)
    }
}
