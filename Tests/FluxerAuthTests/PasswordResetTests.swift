import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

@Suite struct PasswordResetTests {
    // MARK: - POST /auth/forgot

    @Test func forgot_isIdenticalForKnownAndUnknownEmails_butMailsOnlyTheKnown() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "Known@Example.com")
        let unknown = h.post("/auth/forgot", ["email": "unknown@example.com"])
        let known = h.post("/auth/forgot", ["email": "known@example.com"])
        #expect(unknown.status == 204)
        #expect(known.status == 204)
        #expect(unknown.body == known.body)
        // Sent to the address on file, as entered at registration.
        _ = try h.resetToken(for: account.email)
        usleep(100_000)  // the unknown email's lookup also ran after its answer
        #expect(try h.count("outbox", where: "kind = 'password_reset'") == 1)
        #expect(try h.count("email_tokens", where: "purpose = 'password_reset'") == 1)
    }

    @Test func forgot_botUser_getsNoEmail() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        _ = try h.insertBotUser(email: "bot@example.com", password: "bot password 1")
        #expect(h.post("/auth/forgot", ["email": "bot@example.com"]).status == 204)
        usleep(100_000)
        #expect(try h.count("outbox") == 0)
    }

    @Test func forgot_throttledPerEmailAndPerIP() throws {
        let h = try AccountsHarness { config in
            config.forgotEmailLimit = RateLimit(2, per: 60_000)
            config.forgotIPLimit = RateLimit(4, per: 120_000)
        }
        defer { h.stop() }
        let account = try h.register(email: "throttle@example.com")
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        #expect(h.post("/auth/forgot", ["email": "THROTTLE@example.com"]).status == 204)
        _ = try h.resetToken(for: account.email, count: 2)
        let limited = try h.expectNoChange("throttled by email") { h.post("/auth/forgot", ["email": account.email]) }
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
        #expect(limited.header("Retry-After") == "30")
        #expect((jsonObject(limited)?["retry_after"] as? Double).map { $0 > 0 } == true)
        // Unknown addresses are throttled the same way (a 429 reveals nothing).
        #expect(h.post("/auth/forgot", ["email": "ghost@example.com"]).status == 204)
        #expect(h.post("/auth/forgot", ["email": "ghost@example.com"]).status == 204)
        let byIP = h.post("/auth/forgot", ["email": "ghost2@example.com"])
        #expect(byIP.status == 429)
        #expect(byIP.header("Retry-After") == "30")
        usleep(50_000)
        #expect(try h.emails(kind: "password_reset", to: account.email).count == 2)
    }

    @Test func forgot_invalidBodies_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        try h.register(email: "fb@example.com")
        let cases: [(String, [String: Any], FormError)] = [
            ("missing email", [:], .init(path: "email", code: "BASE_TYPE_REQUIRED")),
            ("email wrong type", ["email": ["fb@example.com"]], .init(path: "email", code: "BASE_TYPE_INVALID")),
            ("bad email", ["email": "fb-at-example.com"], .init(path: "email", code: "INVALID_EMAIL_FORMAT")),
            ("email too long", ["email": String(repeating: "f", count: 60) + "@" + String(repeating: "b", count: 190) + ".com"],
             .init(path: "email", code: "EMAIL_LENGTH_INVALID")),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNoChange(label) { h.post("/auth/forgot", body) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        let media = try h.expectNoChange("415") {
            h.request("POST", "/auth/forgot", json: #"{"email":"fb@example.com"}"#, headers: [("Content-Type", "text/plain")])
        }
        #expect(media.status == 415)
        usleep(50_000)
        #expect(try h.count("outbox", where: "kind = 'password_reset'") == 0)
        #expect(try h.count("rate_limits") == 0)
    }

    // MARK: - POST /auth/reset

    @Test func reset_endsEverySession_newPasswordWorks_oldFails() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "reset@example.com")
        let second = try h.loginToken(account)
        let bystander = try h.register(email: "bystander@example.com")
        for token in [account.token, second, bystander.token] { #expect(h.me(token).status == 200) }  // cached
        let before = try #require(try h.userRow(id: account.userID))
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        let token = try h.resetToken(for: account.email)
        h.clock.advance(milliseconds: 5_000)

        let response = h.post("/auth/reset", ["token": token, "password": "a brand new password"])
        #expect(response.status == 200)
        let object = try #require(jsonObject(response))
        #expect(Set(object.keys) == ["user_id", "token"])
        #expect(object["user_id"] as? String == account.userID)
        let fresh = try #require(object["token"] as? String)
        for old in [account.token, second, "Bearer \(second)"] {
            let me = h.me(old)
            #expect(me.status == 401)
            #expect(me.body == unauthorizedBody)
        }
        #expect(h.me(fresh).status == 200)
        #expect(h.me(bystander.token).status == 200)
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 1)
        #expect(try h.count("email_tokens", where: "user_id = \(account.userID) AND purpose = 'password_reset'") == 0)

        let after = try #require(try h.userRow(id: account.userID))
        #expect(after.string("password_hash") != before.string("password_hash"))
        #expect(after.int("password_changed_at") == h.clock.now)
        #expect(after.bool("verified") == true)  // the link proved control of the address
        #expect(jsonObject(h.me(fresh))?["password_last_changed_at"] as? String == ISO8601.format(milliseconds: h.clock.now))

        let oldPassword = try h.expectNoChange("old password") { h.login(account.email, account.password) }
        #expect(oldPassword.status == 400)
        #expect(h.login(account.email, "a brand new password").status == 200)

        let reused = try h.expectNoChange("reused reset token") { h.post("/auth/reset", ["token": token, "password": "yet another password"]) }
        #expect(reused.status == 400)
        #expect(formErrors(reused) == [FormError(path: "token", code: "INVALID_OR_EXPIRED_RESET_TOKEN")])
    }

    @Test func reset_sameTokenConcurrently_succeedsOnce() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "twice@example.com")
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        let token = try h.resetToken(for: account.email)
        let port = h.port
        let answers = concurrently(5) { i in
            let body = jsonText(["token": token, "password": "new password number \(i)"])
            return TestClient.request(port: port, "POST", "/auth/reset", headers: [("Content-Type", "application/json")], body: body)
        }
        let winners = answers.indices.filter { answers[$0].status == 200 }
        #expect(winners.count == 1, "\(answers.map(\.status))")
        for answer in answers where answer.status != 200 {
            #expect(formErrors(answer) == [FormError(path: "token", code: "INVALID_OR_EXPIRED_RESET_TOKEN")])
        }
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 1)
        if let winner = winners.first {
            #expect(h.login(account.email, "new password number \(winner)").status == 200)
        }
    }

    @Test func reset_tokenExpiresAfterOneHour() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "slow@example.com")
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        let token = try h.resetToken(for: account.email)
        h.clock.advance(milliseconds: 3_600_000)
        let expired = try h.expectNoChange("expired") { h.post("/auth/reset", ["token": token, "password": "new password here"]) }
        #expect(expired.status == 400)
        #expect(formErrors(expired) == [FormError(path: "token", code: "INVALID_OR_EXPIRED_RESET_TOKEN")])
        #expect(h.me(account.token).status == 200)
        #expect(h.login(account.email, account.password).status == 200)

        // A fresh link used within the hour works.
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        let fresh = try h.resetToken(for: account.email, count: 2)
        h.clock.advance(milliseconds: 3_599_000)
        #expect(h.post("/auth/reset", ["token": fresh, "password": "new password here"]).status == 200)
    }

    @Test func reset_invalidBodies_changeNothing_andTheTokenStillWorks() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "rb@example.com")
        let verifyToken = try h.verificationToken(for: account.email)
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        let token = try h.resetToken(for: account.email)
        let cases: [(String, [String: Any], FormError)] = [
            ("password too short", ["token": token, "password": "1234567"], .init(path: "password", code: "PASSWORD_LENGTH_INVALID")),
            ("password too long", ["token": token, "password": String(repeating: "x", count: 257)], .init(path: "password", code: "PASSWORD_LENGTH_INVALID")),
            ("missing password", ["token": token], .init(path: "password", code: "BASE_TYPE_REQUIRED")),
            ("common password (PW-03)", ["token": token, "password": "Password123!"], .init(path: "password", code: "PASSWORD_IS_TOO_COMMON")),
            ("sequential password (PW-03)", ["token": token, "password": "abcdefghijk"], .init(path: "password", code: "PASSWORD_IS_TOO_COMMON")),
            ("missing token", ["password": "long enough password"], .init(path: "token", code: "BASE_TYPE_REQUIRED")),
            ("token wrong type", ["token": 64, "password": "long enough password"], .init(path: "token", code: "BASE_TYPE_INVALID")),
            ("password wrong type", ["token": token, "password": 123456789], .init(path: "password", code: "BASE_TYPE_INVALID")),
            ("malformed token", ["token": "short", "password": "long enough password"], .init(path: "token", code: "INVALID_OR_EXPIRED_RESET_TOKEN")),
            ("unknown token", ["token": String(repeating: "Z", count: 64), "password": "long enough password"],
             .init(path: "token", code: "INVALID_OR_EXPIRED_RESET_TOKEN")),
            ("verification token", ["token": verifyToken, "password": "long enough password"],
             .init(path: "token", code: "INVALID_OR_EXPIRED_RESET_TOKEN")),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNoChange(label) { h.post("/auth/reset", body) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        let media = try h.expectNoChange("415") {
            h.request("POST", "/auth/reset", json: jsonText(["token": token, "password": "long enough password"]),
                      headers: [("Content-Type", "text/plain")])
        }
        #expect(media.status == 415)
        #expect(h.me(account.token).status == 200)
        #expect(h.post("/auth/reset", ["token": token, "password": "long enough password"]).status == 200)
        #expect(h.me(account.token).status == 401)
    }
}
