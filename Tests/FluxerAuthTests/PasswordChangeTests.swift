import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// `/users/@me/password-change/{start,resend,verify,complete}` (fluxer-api.md §4): a code by email, a proof for
/// it, then the new password with sudo; every session and grant ends and one new session begins.
@Suite struct PasswordChangeTests {
    static let newPassword = "a completely different secret"

    static func start(_ h: AccountsHarness, _ account: TestAccount, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let response = h.post("/users/@me/password-change/start", [:], auth: account.token)
        #expect(response.status == 200, "start: \(response.body)", sourceLocation: sourceLocation)
        return try #require(jsonObject(response)?["ticket"] as? String, sourceLocation: sourceLocation)
    }

    static func verify(_ h: AccountsHarness, _ account: TestAccount, _ ticket: String, _ code: String) -> TestResponse {
        h.post("/users/@me/password-change/verify", ["ticket": ticket, "code": code], auth: account.token)
    }

    /// Start and verify: the ticket and its proof.
    static func proven(_ h: AccountsHarness, _ account: TestAccount, mails: Int = 1,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> (ticket: String, proof: String) {
        let ticket = try start(h, account, sourceLocation: sourceLocation)
        let response = verify(h, account, ticket, try h.passwordChangeCode(for: account.email, count: mails, sourceLocation: sourceLocation))
        #expect(response.status == 200, "verify: \(response.body)", sourceLocation: sourceLocation)
        return (ticket, try #require(jsonObject(response)?["verification_proof"] as? String, sourceLocation: sourceLocation))
    }

    static func complete(_ h: AccountsHarness, _ auth: String, _ ticket: String, _ proof: String, password: String? = AccountsHarness.defaultPassword,
                         newPassword: String = newPassword) -> TestResponse {
        var body: [String: Any] = ["ticket": ticket, "verification_proof": proof, "new_password": newPassword]
        if let password { body["password"] = password }
        return h.post("/users/@me/password-change/complete", body, auth: auth)
    }

    static func expectError(_ response: TestResponse, _ path: String, _ code: String, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == 400, "\(label): \(response.status) \(response.body)", sourceLocation: sourceLocation)
        #expect(formErrors(response) == [FormError(path: path, code: code)], "\(label): \(response.body)", sourceLocation: sourceLocation)
    }

    // MARK: - The flow

    @Test func start_verify_complete_changesThePassword_endsEverySession_andHandsOutANewOne() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "Change@Example.com")
        let second = try h.loginToken(account)
        let bystander = try h.register(email: "bystander@example.com")
        let before = try #require(try h.userRow(id: account.userID))

        let started = h.post("/users/@me/password-change/start", [:], auth: account.token)
        #expect(started.status == 200)
        #expect(started.header("Cache-Control") == "no-store")
        let object = try #require(jsonObject(started))
        #expect(Set(object.keys) == ["ticket", "code_expires_at", "resend_available_at"])
        let ticket = try #require(object["ticket"] as? String)
        #expect(isBase62(ticket, count: 64))
        #expect(object["code_expires_at"] as? String == ISO8601.format(milliseconds: h.clock.now + 10 * 60_000))
        #expect(object["resend_available_at"] as? String == ISO8601.format(milliseconds: h.clock.now + 30_000))
        let code = try h.passwordChangeCode(for: account.email)
        #expect(code.range(of: "^[A-Z0-9]{4}-[A-Z0-9]{4}$", options: .regularExpression) != nil)
        let row = try #require(try h.database.read { try $0.queryOne("SELECT * FROM password_change_tickets") })
        #expect(row.blob("ticket_hash") == SHA256.hash(Array(ticket.utf8)))
        #expect(row.string("status") == "pending")
        let dump = row.values.map { "\($0)" }.joined(separator: " ")
        #expect(!dump.contains(ticket) && !dump.contains(code) && !dump.contains(code.replacingOccurrences(of: "-", with: "")))

        // Case, spaces and the dash do not matter.
        let verified = Self.verify(h, account, ticket, " " + code.lowercased().replacingOccurrences(of: "-", with: "") + " ")
        #expect(verified.status == 200, "\(verified.body)")
        let proofObject = try #require(jsonObject(verified))
        #expect(Set(proofObject.keys) == ["verification_proof"])
        let proof = try #require(proofObject["verification_proof"] as? String)
        #expect(isBase62(proof, count: 64))
        let afterVerify = try #require(try h.database.read { try $0.queryOne("SELECT * FROM password_change_tickets") })
        #expect(afterVerify.string("status") == "verified")
        #expect(afterVerify.blob("proof_hash") == SHA256.hash(Array(proof.utf8)))
        #expect(afterVerify.blob("code_hash") == nil)

        h.clock.advance(milliseconds: 1_000)
        let done = Self.complete(h, account.token, ticket, proof)
        #expect(done.status == 204, "\(done.body)")
        #expect(done.body.isEmpty)
        #expect(done.header("Cache-Control") == "no-store")
        #expect(done.header("X-Fluxer-Sudo-Mode-JWT") == nil)
        let fresh = try #require(done.header("X-Fluxer-New-Token"))
        #expect(fresh.hasPrefix("flx_") && fresh.count == 40)
        for old in [account.token, second] {
            #expect(h.me(old).status == 401)
        }
        #expect(h.me(fresh).status == 200)
        #expect(h.me(bystander.token).status == 200)
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 1)
        let after = try #require(try h.userRow(id: account.userID))
        #expect(after.string("password_hash") != before.string("password_hash"))
        #expect(after.int("password_changed_at") == h.clock.now)
        #expect(h.login(account.email, account.password).status == 400)
        #expect(h.login(account.email, Self.newPassword).status == 200)
        #expect(try h.auditEvents("password.change", userID: account.userID).map(\.outcome) == ["success"])
        #expect(try h.auditEvents("password_change.verify", userID: account.userID).map(\.outcome) == ["success"])
        // Replayed with the new session: the ticket is done.
        Self.expectError(try h.expectNothingChanged("replay") {
            Self.complete(h, fresh, ticket, proof, password: Self.newPassword, newPassword: "yet another new password")
        }, "ticket", "TICKET_ALREADY_COMPLETED", "replay")
    }

    @Test func complete_endsTheUsersOtherTickets() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "tickets@example.com")
        let other = try Self.start(h, account)
        h.clock.advance(milliseconds: 30_000)
        let (ticket, proof) = try Self.proven(h, account, mails: 2)
        let done = Self.complete(h, account.token, ticket, proof)
        #expect(done.status == 204)
        let fresh = try #require(done.header("X-Fluxer-New-Token"))
        Self.expectError(h.post("/users/@me/password-change/verify", ["ticket": other, "code": "AAAA-AAAA"], auth: fresh),
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "other ticket after completion")
        // The completed one stays (a replay is told so) until it expires.
        #expect(try h.count("password_change_tickets") == 1)
        #expect(try h.count("password_change_tickets", where: "status = 'completed'") == 1)
    }

    // MARK: - start

    @Test func start_refusals_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "start@example.com")
        let path = "/users/@me/password-change/start"
        let anonymous = try h.expectNothingChanged("anonymous") { h.post(path, [:]) }
        #expect(anonymous.status == 401)
        #expect(anonymous.body == unauthorizedBody)
        let bot = try h.botToken(owner: account)
        let byBot = try h.expectNothingChanged("bot") { h.post(path, [:], auth: bot) }
        #expect(byBot.status == 403)
        #expect(errorCode(byBot) == "ACCESS_DENIED")
        let notObject = try h.expectNothingChanged("array body") { h.request("POST", path, json: "[]", auth: account.token) }
        #expect(notObject.status == 400)
        #expect(formErrors(notObject) == [FormError(path: "root", code: "BASE_TYPE_INVALID")])
        let notJSON = try h.expectNothingChanged("not JSON") { h.request("POST", path, json: "{", auth: account.token) }
        #expect(notJSON.status == 400)
        // The body is required (the document's EmptyBodyRequest): none at all is refused too.
        let noBody = try h.expectNothingChanged("no body") { h.request("POST", path, auth: account.token) }
        #expect(noBody.status == 400)
        #expect(formErrors(noBody) == [FormError(path: "root", code: "BASE_TYPE_REQUIRED")])
        // An account without an email address (unclaimed).
        let unclaimed = h.post("/auth/register", AccountsHarness.registrationBody(email: nil, password: nil))
        let unclaimedToken = try #require(jsonObject(unclaimed)?["token"] as? String)
        Self.expectError(try h.expectNothingChanged("no email") { h.post(path, [:], auth: unclaimedToken) },
                         "email", "MUST_HAVE_EMAIL_TO_CHANGE_IT", "no email")
        // Three starts per 15 minutes per user.
        #expect(h.post(path, [:], auth: account.token).status == 200)
        #expect(h.post(path, [:], auth: account.token).status == 200)
        #expect(h.post(path, [:], auth: account.token).status == 200)
        let limited = try h.expectNothingChanged("fourth start") { h.post(path, [:], auth: account.token) }
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
        #expect(limited.header("Retry-After") == "300")
        #expect(try h.emails(kind: "password_change_verification", to: account.email).count == 3)
    }

    // MARK: - verify

    @Test func verify_wrongCodes_count_fiveKillTheCode() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "verify@example.com")
        let ticket = try Self.start(h, account)
        let code = try h.passwordChangeCode(for: account.email)
        let wrongs = ["AAAA-AAAA", "", String(repeating: "A", count: 33), "ZZZZ-ZZZ9", "0000-0000"].filter { $0 != code }
        for (n, wrong) in wrongs.prefix(5).enumerated() {
            Self.expectError(try h.expectNothingChanged("wrong code \(n)") { Self.verify(h, account, ticket, wrong) },
                             "code", "INVALID_VERIFICATION_CODE", "wrong code \(n)")
            #expect(try h.database.read { try $0.queryOne("SELECT code_failures FROM password_change_tickets")?.int("code_failures") } == Int64(n + 1))
        }
        #expect(try h.auditEvents("password_change.verify", userID: account.userID).map(\.outcome) == Array(repeating: "failure", count: 5))
        Self.expectError(try h.expectNothingChanged("right code, too late") { Self.verify(h, account, ticket, code) },
                         "code", "VERIFICATION_CODE_EXPIRED", "right code after five wrong")
        // A new code starts over.
        h.clock.advance(milliseconds: 30_000)
        #expect(h.post("/users/@me/password-change/resend", ["ticket": ticket], auth: account.token).status == 204)
        #expect(Self.verify(h, account, ticket, try h.passwordChangeCode(for: account.email, count: 2)).status == 200)
    }

    @Test func verify_refusals_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "refuse@example.com")
        let stranger = try h.register(email: "stranger@example.com")
        let ticket = try Self.start(h, account)
        let code = try h.passwordChangeCode(for: account.email)
        let path = "/users/@me/password-change/verify"

        let anonymous = try h.expectNothingChanged("anonymous") { h.post(path, ["ticket": ticket, "code": code]) }
        #expect(anonymous.status == 401)
        let bot = try h.botToken(owner: stranger)
        let byBot = try h.expectNothingChanged("bot") { h.post(path, ["ticket": ticket, "code": code], auth: bot) }
        #expect(byBot.status == 403)
        #expect(errorCode(byBot) == "ACCESS_DENIED")
        let fields: [(String, [String: Any], FormError)] = [
            ("missing ticket", ["code": code], FormError(path: "ticket", code: "BASE_TYPE_REQUIRED")),
            ("missing code", ["ticket": ticket], FormError(path: "code", code: "BASE_TYPE_REQUIRED")),
            ("code not a string", ["ticket": ticket, "code": 1234], FormError(path: "code", code: "BASE_TYPE_INVALID")),
            ("short ticket", ["ticket": "abc", "code": code], FormError(path: "ticket", code: "INVALID_OR_EXPIRED_TICKET")),
            ("unknown ticket", ["ticket": Base62.encode(randomCount: 64), "code": code], FormError(path: "ticket", code: "INVALID_OR_EXPIRED_TICKET")),
        ]
        for (label, body, expected) in fields {
            let response = try h.expectNothingChanged(label) { h.post(path, body, auth: account.token) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        // Another user's ticket is an unknown one, even with the right code.
        Self.expectError(try h.expectNothingChanged("stranger") { Self.verify(h, stranger, ticket, code) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "stranger")
        // The code expires after 10 minutes, the ticket after 30.
        h.clock.advance(milliseconds: 10 * 60_000)
        Self.expectError(try h.expectNothingChanged("expired code") { Self.verify(h, account, ticket, code) },
                         "code", "VERIFICATION_CODE_EXPIRED", "expired code")
        h.clock.advance(milliseconds: 20 * 60_000)
        Self.expectError(try h.expectNothingChanged("expired ticket") { Self.verify(h, account, ticket, code) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "expired ticket")
    }

    @Test func verify_spendsTheCode() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "once@example.com")
        let ticket = try Self.start(h, account)
        let code = try h.passwordChangeCode(for: account.email)
        #expect(Self.verify(h, account, ticket, code).status == 200)
        Self.expectError(try h.expectNothingChanged("reused code") { Self.verify(h, account, ticket, code) },
                         "code", "VERIFICATION_CODE_NOT_ISSUED", "reused code")
        let port = h.port
        let raced = try Self.start(h, account)
        let racedCode = try h.passwordChangeCode(for: account.email, count: 2)
        let answers = concurrently(6) { _ in
            TestClient.request(port: port, "POST", "/users/@me/password-change/verify",
                               headers: [("Content-Type", "application/json"), ("Authorization", account.token)],
                               body: jsonText(["ticket": raced, "code": racedCode]))
        }
        #expect(answers.filter { $0.status == 200 }.count == 1, "\(answers.map(\.status))")
    }

    // MARK: - resend

    @Test func resend_afterThirtySeconds_replacesTheCode_andIsLimited() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "resend@example.com")
        let stranger = try h.register(email: "other@example.com")
        let ticket = try Self.start(h, account)
        let first = try h.passwordChangeCode(for: account.email)
        let path = "/users/@me/password-change/resend"

        let early = try h.expectNothingChanged("resend at 0 s") { h.post(path, ["ticket": ticket], auth: account.token) }
        #expect(early.status == 429)
        #expect(errorCode(early) == "RATE_LIMITED")
        #expect(jsonObject(early)?["retry_after"] as? Int == 30)
        #expect(early.header("Retry-After") == "30")
        #expect(try h.expectNothingChanged("anonymous") { h.post(path, ["ticket": ticket]) }.status == 401)
        let bot = try h.botToken(owner: stranger)
        #expect(errorCode(try h.expectNothingChanged("bot") { h.post(path, ["ticket": ticket], auth: bot) }) == "ACCESS_DENIED")
        Self.expectError(try h.expectNothingChanged("missing") { h.post(path, [:], auth: account.token) }, "ticket", "BASE_TYPE_REQUIRED", "missing")
        Self.expectError(try h.expectNothingChanged("malformed") { h.post(path, ["ticket": "x"], auth: account.token) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "malformed")
        Self.expectError(try h.expectNothingChanged("stranger") { h.post(path, ["ticket": ticket], auth: stranger.token) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "stranger")

        h.clock.advance(milliseconds: 30_000)
        #expect(h.post(path, ["ticket": ticket], auth: account.token).status == 204)
        let second = try h.passwordChangeCode(for: account.email, count: 2)
        if second != first {
            Self.expectError(Self.verify(h, account, ticket, first), "code", "INVALID_VERIFICATION_CODE", "replaced code")
        }
        // Three resends per 15 minutes per user.
        for n in 2...3 {
            h.clock.advance(milliseconds: 30_000)
            #expect(h.post(path, ["ticket": ticket], auth: account.token).status == 204, "resend \(n)")
        }
        h.clock.advance(milliseconds: 30_000)
        let limited = try h.expectNothingChanged("fourth resend") { h.post(path, ["ticket": ticket], auth: account.token) }
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
        // A verified ticket needs no code.
        #expect(Self.verify(h, account, ticket, try h.passwordChangeCode(for: account.email, count: 4)).status == 200)
        h.clock.advance(milliseconds: 15 * 60_000)
        Self.expectError(try h.expectNothingChanged("verified") { h.post(path, ["ticket": ticket], auth: account.token) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "verified ticket")
    }

    // MARK: - complete

    @Test func complete_refusals_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "complete@example.com")
        let stranger = try h.register(email: "complete-stranger@example.com")
        let unverified = try Self.start(h, account)
        h.clock.advance(milliseconds: 1_000)
        let (ticket, proof) = try Self.proven(h, account, mails: 2)
        let path = "/users/@me/password-change/complete"
        let good: [String: Any] = ["ticket": ticket, "verification_proof": proof, "new_password": Self.newPassword, "password": account.password]

        let anonymous = try h.expectNothingChanged("anonymous") { h.post(path, good) }
        #expect(anonymous.status == 401)
        #expect(anonymous.body == unauthorizedBody)
        let bot = try h.botToken(owner: stranger)
        #expect(errorCode(try h.expectNothingChanged("bot") { h.post(path, good, auth: bot) }) == "ACCESS_DENIED")
        func without(_ key: String) -> [String: Any] { good.filter { $0.key != key } }
        func with(_ key: String, _ value: Any) -> [String: Any] { good.merging([key: value]) { $1 } }
        let cases: [(String, [String: Any], FormError)] = [
            ("missing ticket", without("ticket"), FormError(path: "ticket", code: "BASE_TYPE_REQUIRED")),
            ("missing proof", without("verification_proof"), FormError(path: "verification_proof", code: "BASE_TYPE_REQUIRED")),
            ("missing new password", without("new_password"), FormError(path: "new_password", code: "BASE_TYPE_REQUIRED")),
            ("short new password", with("new_password", "short"), FormError(path: "new_password", code: "PASSWORD_LENGTH_INVALID")),
            ("long new password", with("new_password", String(repeating: "x", count: 257)), FormError(path: "new_password", code: "PASSWORD_LENGTH_INVALID")),
            ("common new password", with("new_password", "password123"), FormError(path: "new_password", code: "PASSWORD_IS_TOO_COMMON")),
            ("unverified ticket", with("ticket", unverified), FormError(path: "ticket", code: "INVALID_OR_EXPIRED_TICKET")),
            ("unknown ticket", with("ticket", Base62.encode(randomCount: 64)), FormError(path: "ticket", code: "INVALID_OR_EXPIRED_TICKET")),
            ("wrong proof", with("verification_proof", Base62.encode(randomCount: 64)), FormError(path: "verification_proof", code: "INVALID_PROOF_TOKEN")),
            ("overlong proof", with("verification_proof", proof + proof), FormError(path: "verification_proof", code: "INVALID_PROOF_TOKEN")),
            ("wrong current password", with("password", "not the password"), FormError(path: "password", code: "INVALID_PASSWORD")),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNothingChanged(label) { h.post(path, body, auth: account.token) }
            #expect(response.status == 400, "\(label): \(response.body)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        let noSudo = try h.expectNothingChanged("no sudo proof") { h.post(path, without("password"), auth: account.token) }
        #expect(noSudo.status == 403)
        #expect(errorCode(noSudo) == "SUDO_MODE_REQUIRED")
        #expect(jsonObject(noSudo)?["has_mfa"] as? Bool == false)
        Self.expectError(try h.expectNothingChanged("stranger") { h.post(path, with("password", stranger.password), auth: stranger.token) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "another user's ticket")
        h.clock.advance(milliseconds: 30 * 60_000)
        Self.expectError(try h.expectNothingChanged("expired") { h.post(path, good, auth: account.token) },
                         "ticket", "INVALID_OR_EXPIRED_TICKET", "expired ticket")
        #expect(h.me(account.token).status == 200)
    }

    @Test func complete_concurrently_exactlyOneWins() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "race@example.com")
        let (ticket, proof) = try Self.proven(h, account)
        let port = h.port
        let body = jsonText(["ticket": ticket, "verification_proof": proof, "new_password": Self.newPassword, "password": account.password])
        let answers = concurrently(4) { _ in
            TestClient.request(port: port, "POST", "/users/@me/password-change/complete",
                               headers: [("Content-Type", "application/json"), ("Authorization", account.token)], body: body)
        }
        #expect(answers.filter { $0.status == 204 }.count == 1, "\(answers.map { "\($0.status) \($0.body)" })")
        #expect(try h.count("sessions", where: "user_id = \(account.userID)") == 1)
    }

    @Test func complete_withTOTP_needsTheSecondFactor_notThePassword() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let user = try h.totpUser("pwchangemfa")
        let start = h.post("/users/@me/password-change/start", [:], auth: user.auth)
        #expect(start.status == 200)
        let ticket = try #require(jsonObject(start.body)["ticket"] as? String)
        let mail = try #require(try h.database.read { db in
            try db.query("SELECT body FROM outbox WHERE kind = 'password_change_verification'").compactMap {
                $0.string("body").flatMap(h.running.app.context.outbox.seal.open)
            }
        }.last)
        let code = try #require(AccountsHarness.passwordChangeCode(in: mail))
        let verified = h.post("/users/@me/password-change/verify", ["ticket": ticket, "code": code], auth: user.auth)
        let proof = try #require(jsonObject(verified.body)["verification_proof"] as? String)
        let body: [String: Any] = ["ticket": ticket, "verification_proof": proof, "new_password": PasswordChangeTests.newPassword]

        let byPassword = try h.expectUnchanged("password only") {
            h.post("/users/@me/password-change/complete", body.merging(["password": user.password]) { $1 }, auth: user.auth)
        }
        #expect(byPassword.status == 403)
        #expect(jsonObject(byPassword.body)["has_mfa"] as? Bool == true)
        let done = h.post("/users/@me/password-change/complete", body.merging(h.totpProof(user)) { $1 }, auth: user.auth)
        #expect(done.status == 204, "\(done.body)")
        #expect(done.header("X-Fluxer-Sudo-Mode-JWT") == nil)
        #expect(done.header("X-Fluxer-New-Token")?.hasPrefix("flx_") == true)
        #expect(h.send("GET", "/users/@me", auth: user.auth).status == 401)
    }
}
