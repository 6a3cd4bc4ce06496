import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain
import HTTPServer

/// IP authorization (`security.ip_authorization`, fluxer-api.md §5): a password login from a network the account
/// was never authorized from, link by email, poll, resend, and `DELETE /users/@me/authorized-ips`. Clients are
/// told apart by `X-Forwarded-For` from a trusted proxy (the test client's 127.0.0.1).
@Suite struct IPAuthorizationTests {
    static let home = [("X-Forwarded-For", "198.51.100.1")]
    static let away = [("X-Forwarded-For", "203.0.113.9")]
    static let phone = [("X-Forwarded-For", "2001:db8:77::5")]

    static func harness(enabled: Bool = true) throws -> AccountsHarness {
        try AccountsHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            config.ipAuthorization = enabled
        }
    }

    /// Registers from `home` (which authorizes it).
    static func account(_ h: AccountsHarness, _ email: String = "ipauth@example.com") throws -> TestAccount {
        try h.register(email: email, headers: home)
    }

    /// A login from `headers`' network that must be held back: its ticket.
    static func heldBack(_ h: AccountsHarness, _ account: TestAccount, _ headers: [(String, String)] = away,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let response = h.login(account.email, account.password, headers: headers)
        #expect(response.status == 403, "\(response.body)", sourceLocation: sourceLocation)
        #expect(errorCode(response) == "IP_AUTHORIZATION_REQUIRED", sourceLocation: sourceLocation)
        return try #require(jsonObject(response)?["ticket"] as? String, sourceLocation: sourceLocation)
    }

    static func poll(_ h: AccountsHarness, _ ticket: String, headers: [(String, String)] = away) -> TestResponse {
        h.request("GET", "/auth/ip-authorization/poll?ticket=\(ticket)", headers: headers)
    }

    static func expectInvalidTicket(_ response: TestResponse, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == 400, "\(label): \(response.body)", sourceLocation: sourceLocation)
        #expect(formErrors(response) == [FormError(path: "ticket", code: "INVALID_OR_EXPIRED_AUTHORIZATION_TICKET")], "\(label)",
                sourceLocation: sourceLocation)
    }

    static func expectInvalidToken(_ response: TestResponse, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == 400, "\(label): \(response.body)", sourceLocation: sourceLocation)
        #expect(formErrors(response) == [FormError(path: "token", code: "INVALID_OR_EXPIRED_AUTHORIZATION_TOKEN")], "\(label)",
                sourceLocation: sourceLocation)
    }

    // MARK: - The flow

    @Test func newNetwork_403_link_poll_handsOutOneSession_andAuthorizesTheLoginsNetwork() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h, "Flow@Example.com")
        // The registering network is authorized.
        #expect(h.login(account.email, account.password, headers: Self.home).status == 200)
        let sessionsBefore = try h.count("sessions")

        let held = h.login(account.email, account.password, headers: Self.away)
        #expect(held.status == 403)
        #expect(held.header("Cache-Control") == "no-store")
        let object = try #require(jsonObject(held))
        #expect(Set(object.keys) == ["code", "message", "ip_authorization_required", "ticket", "email", "resend_available_in"])
        #expect(object["code"] as? String == "IP_AUTHORIZATION_REQUIRED")
        #expect(object["message"] as? String == "IP authorization is required.")
        #expect(object["ip_authorization_required"] as? Bool == true)
        #expect(object["email"] as? String == account.email)
        #expect(object["resend_available_in"] as? Int == 30)
        let ticket = try #require(object["ticket"] as? String)
        #expect(isBase62(ticket, count: 64))
        #expect(try h.count("sessions") == sessionsBefore, "a held-back login made a session")

        // The mail: the link and the address it came from.
        let body = try #require(try h.emails(kind: "ip_authorization", to: account.email).last)
        #expect(body.contains(h.running.app.context.config.effectivePublicURL + "/authorize-ip#token="))
        #expect(body.contains("203.0.113.9"))
        let token = try h.ipAuthorizationToken(for: account.email)
        #expect(token != ticket)
        // At rest: hashes only.
        let stored = try #require(try h.database.read { try $0.queryOne("SELECT * FROM ip_authorizations") })
        #expect(stored.blob("ticket_hash") == SHA256.hash(Array(ticket.utf8)))
        #expect(stored.blob("token_hash") == SHA256.hash(Array(token.utf8)))
        let dump = stored.values.map { "\($0)" }.joined(separator: " ")
        #expect(!dump.contains(ticket) && !dump.contains(token))

        #expect(Self.poll(h, ticket).body == #"{"completed":false}"#)

        // The link, opened on another device.
        let opened = h.post("/auth/authorize-ip", ["token": token], headers: Self.phone)
        #expect(opened.status == 204, "\(opened.body)")
        #expect(opened.body.isEmpty)
        #expect(try h.count("sessions") == sessionsBefore, "the approval itself made a session")
        // Networks are stored as keyed hashes, never as addresses.
        let networks = try h.database.read { db in try db.query("SELECT * FROM authorized_ips WHERE user_id = ?", Int64(account.userID)!) }
        #expect(networks.count == 2)
        for row in networks {
            let text = row.values.map { "\($0)" }.joined(separator: " ")
            #expect(!text.contains("203.0.113.9") && !text.contains("198.51.100.1"))
            #expect(row.blob("ip_key")?.count == 32)
        }

        // The waiting client collects its session, once.
        let done = Self.poll(h, ticket)
        #expect(done.status == 200)
        #expect(done.header("Cache-Control") == "no-store")
        let result = try #require(jsonObject(done))
        #expect(Set(result.keys) == ["completed", "token", "user_id"])
        #expect(result["completed"] as? Bool == true)
        #expect(result["user_id"] as? String == account.userID)
        let session = try #require(result["token"] as? String)
        #expect(session.hasPrefix("flx_") && session.count == 40)
        #expect(h.me(session).status == 200)
        #expect(try h.count("sessions") == sessionsBefore + 1)
        #expect(try h.count("ip_authorizations") == 0)
        Self.expectInvalidTicket(try h.expectNothingChanged("second poll") { Self.poll(h, ticket) }, "second poll")
        Self.expectInvalidToken(try h.expectNothingChanged("link again") { h.post("/auth/authorize-ip", ["token": token]) }, "link again")

        // The login's network is authorized now, not the one the link was opened from.
        #expect(h.login(account.email, account.password, headers: Self.away).status == 200)
        _ = try Self.heldBack(h, account, Self.phone)
        // IPv6 networks count by /64.
        let approval = try h.ipAuthorizationToken(for: account.email, count: 2)
        #expect(h.post("/auth/authorize-ip", ["token": approval]).status == 204)
        #expect(h.login(account.email, account.password, headers: [("X-Forwarded-For", "2001:db8:77::abcd")]).status == 200)

        let required = try h.auditEvents("login.ip_authorization_required", userID: account.userID)
        #expect(required.count == 2 && required.allSatisfy { $0.outcome == "refused" })
        #expect(try h.auditEvents("ip_authorization.approved", userID: account.userID).count == 2)
        #expect(try h.auditEvents("login.success", userID: account.userID).contains { $0.detail == "ip_authorization" })
    }

    @Test func featureOff_loginsAreUnchanged_andTheRoutesAnswerUnknown() throws {
        let h = try Self.harness(enabled: false)
        defer { h.stop() }
        let account = try Self.account(h)
        for headers in [Self.away, Self.phone, []] {
            let response = h.login(account.email, account.password, headers: headers)
            #expect(response.status == 200)
            #expect(Set(try #require(jsonObject(response)).keys) == ["user_id", "token"])
        }
        #expect(try h.count("ip_authorizations") == 0)
        #expect(try h.emails(kind: "ip_authorization", to: account.email).isEmpty)
        // Registration still records its network (turning the feature on later does not ask from there).
        #expect(try h.count("authorized_ips", where: "user_id = \(account.userID)") == 1)
        let unknown = Base62.encode(randomCount: 64)
        Self.expectInvalidToken(try h.expectNothingChanged("authorize") { h.post("/auth/authorize-ip", ["token": unknown]) }, "authorize")
        Self.expectInvalidTicket(try h.expectNothingChanged("poll") { Self.poll(h, unknown) }, "poll")
        Self.expectInvalidTicket(try h.expectNothingChanged("resend") { h.post("/auth/ip-authorization/resend", ["ticket": unknown]) }, "resend")
    }

    @Test func wrongPassword_fromANewNetwork_isInvalidCredentials_andMailsNothing() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let response = try h.expectNothingChanged("wrong password") { h.login(account.email, "not the password", headers: Self.away) }
        #expect(response.status == 400)
        #expect(formErrors(response) == [FormError(path: "email", code: "INVALID_EMAIL_OR_PASSWORD"),
                                         FormError(path: "password", code: "INVALID_EMAIL_OR_PASSWORD")])
    }

    @Test func usersWithMFA_areNeverHeldBack() throws {
        let h = try MFAHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            config.ipAuthorization = true
        }
        defer { h.stop() }
        let user = try h.totpUser("mfaipuser")
        let response = h.post("/auth/login", ["email": user.email, "password": user.password], headers: Self.away)
        #expect(response.status == 200, "\(response.body)")
        #expect(jsonObject(response.body)["mfa"] as? Bool == true)
        #expect(try h.count("ip_authorizations") == 0)
    }

    @Test func authorizePageLogin_fromANewNetwork_asksForTheLink_thenSignsIn() throws {
        let h = try OAuthHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            config.ipAuthorization = true
        }
        defer { h.stop() }
        let alice = h.user("alice")  // registered from 127.0.0.1
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = OAuthBrowserFlowTests.Browser(h: h)
        func signIn() -> TestResponse {
            let form = h.request("GET", authorizePath(OAuthBrowserFlowTests.pairs(client.id)), headers: browser.jar.header + Self.away)
            browser.jar.store(form)
            let posted = h.form("/oauth2/authorize/login", hiddenInputs(form.body) + [("email", "alice@example.com"), ("password", alice.password)],
                                headers: browser.jar.header + [("Origin", h.issuer)] + Self.away)
            browser.jar.store(posted)
            return posted
        }
        let sessions = try h.count("sessions")
        let held = signIn()
        #expect(held.status == 403)
        #expect(held.body.contains("Approve this sign-in"))
        #expect(!setCookies(held).contains { $0.hasPrefix("fluxer_session=") })
        #expect(try h.count("sessions") == sessions)
        let mail = try #require(try h.database.read { db in
            try db.query("SELECT body FROM outbox WHERE kind = 'ip_authorization'").compactMap { $0.string("body").flatMap(h.running.app.context.outbox.seal.open) }
        }.last)
        let token = try #require(AccountsHarness.token(in: mail, marker: "/authorize-ip#token="))
        let opened = h.request("POST", "/auth/authorize-ip", headers: [("Content-Type", "application/json")], body: jsonText(["token": token]))
        #expect(opened.status == 204)
        let signedIn = signIn()
        #expect(signedIn.status == 303, "\(signedIn.body)")
        #expect(browser.jar["fluxer_session"] != nil)
    }

    // MARK: - POST /auth/authorize-ip

    @Test func authorizeIP_badBodies_changeNothing() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        _ = try Self.heldBack(h, account)
        let cases: [(String, [String: Any], FormError)] = [
            ("missing token", [:], FormError(path: "token", code: "BASE_TYPE_REQUIRED")),
            ("token not a string", ["token": 42], FormError(path: "token", code: "BASE_TYPE_INVALID")),
            ("token too short", ["token": "abc"], FormError(path: "token", code: "INVALID_OR_EXPIRED_AUTHORIZATION_TOKEN")),
            ("token too long", ["token": Base62.encode(randomCount: 65)], FormError(path: "token", code: "INVALID_OR_EXPIRED_AUTHORIZATION_TOKEN")),
            ("token not base62", ["token": String(repeating: "-", count: 64)], FormError(path: "token", code: "INVALID_OR_EXPIRED_AUTHORIZATION_TOKEN")),
            ("unknown token", ["token": Base62.encode(randomCount: 64)], FormError(path: "token", code: "INVALID_OR_EXPIRED_AUTHORIZATION_TOKEN")),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNothingChanged(label) { h.post("/auth/authorize-ip", body) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        let notJSON = try h.expectNothingChanged("not JSON") { h.request("POST", "/auth/authorize-ip", json: "{token:") }
        #expect(notJSON.status == 400)
        let media = try h.expectNothingChanged("415") {
            h.request("POST", "/auth/authorize-ip", json: #"{"token":"x"}"#, headers: [("Content-Type", "text/plain")])
        }
        #expect(media.status == 415)
        // The ticket's own link still works afterwards.
        #expect(h.post("/auth/authorize-ip", ["token": try h.ipAuthorizationToken(for: account.email)]).status == 204)
    }

    @Test func link_outlivesTheWaitingLogin_butNotThirtyMinutes() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        let token = try h.ipAuthorizationToken(for: account.email)
        // 16 minutes: the login stopped waiting (its poll is over), the link still authorizes the network.
        h.clock.advance(milliseconds: 16 * 60_000)
        Self.expectInvalidTicket(try h.expectNothingChanged("late poll") { Self.poll(h, ticket) }, "late poll")
        #expect(h.post("/auth/authorize-ip", ["token": token]).status == 204)
        Self.expectInvalidTicket(Self.poll(h, ticket), "poll after a late approval")
        #expect(try h.auditEvents("ip_authorization.approved", userID: account.userID).map(\.detail) == ["login_no_longer_waiting"])
        #expect(h.login(account.email, account.password, headers: Self.away).status == 200)

        // 31 minutes: the link is dead and changes nothing; that network still asks.
        _ = try Self.heldBack(h, account, Self.phone)
        let late = try h.ipAuthorizationToken(for: account.email, count: 2)
        h.clock.advance(milliseconds: 31 * 60_000)
        Self.expectInvalidToken(try h.expectNothingChanged("dead link") { h.post("/auth/authorize-ip", ["token": late]) }, "dead link")
        _ = try Self.heldBack(h, account, Self.phone)
    }

    @Test func approvedResult_waitsSixtySeconds_forItsPoll() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        #expect(h.post("/auth/authorize-ip", ["token": try h.ipAuthorizationToken(for: account.email)]).status == 204)
        h.clock.advance(milliseconds: 60_000)
        let sessions = try h.count("sessions")
        Self.expectInvalidTicket(try h.expectNothingChanged("poll at 60 s") { Self.poll(h, ticket) }, "poll at 60 s")
        #expect(try h.count("sessions") == sessions)
        // The network stays authorized: signing in again works.
        #expect(h.login(account.email, account.password, headers: Self.away).status == 200)
    }

    @Test func concurrentLinksAndPolls_exactlyOneWins() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        let token = try h.ipAuthorizationToken(for: account.email)
        let port = h.port
        let opened = concurrently(8) { _ in
            TestClient.request(port: port, "POST", "/auth/authorize-ip", headers: [("Content-Type", "application/json")], body: jsonText(["token": token]))
        }
        #expect(opened.filter { $0.status == 204 }.count == 1)
        #expect(opened.filter { $0.status == 400 }.count == 7)
        let sessions = try h.count("sessions")
        let polls = concurrently(8) { _ in
            TestClient.request(port: port, "GET", "/auth/ip-authorization/poll?ticket=\(ticket)", headers: Self.away)
        }
        #expect(polls.filter { $0.status == 200 }.count == 1, "\(polls.map(\.status))")
        #expect(polls.filter { $0.status == 400 }.count == 7)
        #expect(try h.count("sessions") == sessions + 1)
    }

    // MARK: - GET /auth/ip-authorization/poll

    @Test func poll_badQueries_changeNothing() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        let missing = try h.expectNothingChanged("no ticket") { h.request("GET", "/auth/ip-authorization/poll") }
        #expect(missing.status == 400)
        #expect(formErrors(missing) == [FormError(path: "ticket", code: "BASE_TYPE_REQUIRED")])
        for (label, query) in [("empty", "ticket="), ("short", "ticket=abc"), ("not base62", "ticket=" + String(repeating: "%2B", count: 64)),
                               ("unknown", "ticket=" + Base62.encode(randomCount: 64)), ("too long", "ticket=" + ticket + "A")] {
            Self.expectInvalidTicket(try h.expectNothingChanged(label) { h.request("GET", "/auth/ip-authorization/poll?" + query) }, label)
        }
        #expect(Self.poll(h, ticket).body == #"{"completed":false}"#)
    }

    // MARK: - POST /auth/ip-authorization/resend

    @Test func resend_onlyAfterThirtySeconds_onlyOnce_andReplacesTheLink() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        let first = try h.ipAuthorizationToken(for: account.email)

        let early = try h.expectNothingChanged("resend at 0 s") { h.post("/auth/ip-authorization/resend", ["ticket": ticket]) }
        #expect(early.status == 429)
        let cooldown = try #require(jsonObject(early))
        #expect(Set(cooldown.keys) == ["code", "message", "resend_available_in", "retry_after"])
        #expect(cooldown["code"] as? String == "IP_AUTHORIZATION_RESEND_COOLDOWN")
        #expect(cooldown["resend_available_in"] as? Int == 30)
        #expect(cooldown["retry_after"] as? Int == 30)
        #expect(early.header("Retry-After") == "30")
        h.clock.advance(milliseconds: 10_500)
        let later = try h.expectNothingChanged("resend at 10.5 s") { h.post("/auth/ip-authorization/resend", ["ticket": ticket]) }
        #expect(jsonObject(later)?["resend_available_in"] as? Int == 20)

        h.clock.advance(milliseconds: 19_500)
        let resent = h.post("/auth/ip-authorization/resend", ["ticket": ticket])
        #expect(resent.status == 204, "\(resent.body)")
        let second = try h.ipAuthorizationToken(for: account.email, count: 2)
        #expect(second != first)
        Self.expectInvalidToken(try h.expectNothingChanged("replaced link") { h.post("/auth/authorize-ip", ["token": first]) }, "replaced link")

        let again = try h.expectNothingChanged("second resend") { h.post("/auth/ip-authorization/resend", ["ticket": ticket]) }
        #expect(again.status == 429)
        #expect(errorCode(again) == "IP_AUTHORIZATION_RESEND_LIMIT_EXCEEDED")
        #expect(jsonObject(again)?["message"] as? String == "IP authorization resend limit exceeded.")
        #expect(jsonObject(again)?["retry_after"] as? Int == (15 * 60 - 30))

        #expect(h.post("/auth/authorize-ip", ["token": second]).status == 204)
        Self.expectInvalidTicket(try h.expectNothingChanged("resend after approval") {
            h.post("/auth/ip-authorization/resend", ["ticket": ticket])
        }, "resend after approval")
        #expect(jsonObject(Self.poll(h, ticket))?["completed"] as? Bool == true)
        #expect(try h.auditEvents("ip_authorization.resend", userID: account.userID).count == 1)
    }

    @Test func resend_badBodies_andDeadTickets_changeNothing() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        let missing = try h.expectNothingChanged("missing") { h.post("/auth/ip-authorization/resend", [:]) }
        #expect(formErrors(missing) == [FormError(path: "ticket", code: "BASE_TYPE_REQUIRED")])
        for (label, value) in [("short", "abc"), ("unknown", Base62.encode(randomCount: 64)), ("not base62", String(repeating: "/", count: 64))] {
            Self.expectInvalidTicket(try h.expectNothingChanged(label) { h.post("/auth/ip-authorization/resend", ["ticket": value]) }, label)
        }
        h.clock.advance(milliseconds: 15 * 60_000)
        Self.expectInvalidTicket(try h.expectNothingChanged("expired") { h.post("/auth/ip-authorization/resend", ["ticket": ticket]) }, "expired")
    }

    // MARK: - Other credentials end a waiting login

    @Test func passwordReset_endsWaitingLogins() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let ticket = try Self.heldBack(h, account)
        let token = try h.ipAuthorizationToken(for: account.email)
        #expect(h.post("/auth/forgot", ["email": account.email]).status == 204)
        #expect(h.post("/auth/reset", ["token": try h.resetToken(for: account.email), "password": "an entirely new password"]).status == 200)
        Self.expectInvalidToken(h.post("/auth/authorize-ip", ["token": token]), "link after reset")
        Self.expectInvalidTicket(Self.poll(h, ticket), "poll after reset")
    }

    // MARK: - DELETE /users/@me/authorized-ips

    @Test func forget_needsAUserAndSudo_thenEveryNetworkAsksAgain() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        let bystander = try Self.account(h, "bystander@example.com")
        let token = try h.loginToken(account, headers: Self.home)
        _ = try Self.heldBack(h, account)  // a waiting login goes too
        let path = "/users/@me/authorized-ips"

        let anonymous = try h.expectNothingChanged("no credential") { h.request("DELETE", path, json: "{}") }
        #expect(anonymous.status == 401)
        #expect(anonymous.body == unauthorizedBody)
        let bot = try h.botToken(owner: bystander)
        let byBot = try h.expectNothingChanged("bot") { h.request("DELETE", path, json: jsonText(["password": "x"]), auth: bot) }
        #expect(byBot.status == 403)
        #expect(errorCode(byBot) == "ACCESS_DENIED")
        let noProof = try h.expectNothingChanged("no proof") { h.request("DELETE", path, json: "{}", auth: token) }
        #expect(noProof.status == 403)
        #expect(errorCode(noProof) == "SUDO_MODE_REQUIRED")
        #expect(jsonObject(noProof)?["has_mfa"] as? Bool == false)
        let emptyBody = try h.expectNothingChanged("empty body") { h.request("DELETE", path, auth: token) }
        #expect(errorCode(emptyBody) == "SUDO_MODE_REQUIRED")
        let wrong = try h.expectNothingChanged("wrong password") {
            h.request("DELETE", path, json: jsonText(["password": "not the password"]), auth: token)
        }
        #expect(wrong.status == 400)
        #expect(formErrors(wrong) == [FormError(path: "password", code: "INVALID_PASSWORD")])

        let done = h.request("DELETE", path, json: jsonText(["password": account.password]), auth: token)
        #expect(done.status == 204, "\(done.body)")
        #expect(try h.count("authorized_ips", where: "user_id = \(account.userID)") == 0)
        #expect(try h.count("ip_authorizations", where: "user_id = \(account.userID)") == 0)
        #expect(try h.count("authorized_ips", where: "user_id = \(bystander.userID)") == 1)
        #expect(h.me(token).status == 200, "forgetting networks ended a session")
        #expect(try h.auditEvents("ip_authorization.forget_all", userID: account.userID).map(\.detail) == ["count=1"])
        // The registering network asks again now; the bystander's does not.
        _ = try Self.heldBack(h, account, Self.home)
        #expect(h.login(bystander.email, bystander.password, headers: Self.home).status == 200)
    }

    // MARK: - Rate-limit buckets (fluxer-api.md §12)

    @Test func routes_haveTheRealServersBuckets() {
        let expected: [(HTTPMethod, String, String, RateLimit)] = [
            (.POST, "/auth/authorize-ip", "auth:authorize_ip", RateLimit(5, per: 60_000)),
            (.POST, "/auth/ip-authorization/resend", "auth:ip_authorization_resend", RateLimit(5, per: 60_000)),
            (.GET, "/auth/ip-authorization/poll", "auth:ip_authorization_poll", RateLimit(60, per: 60_000)),
            (.DELETE, "/users/@me/authorized-ips", "user:authorized_ips:forget", RateLimit(10, per: 60_000)),
            (.POST, "/users/@me/password-change/start", "user:password_change:start", RateLimit(10, per: 60_000)),
            (.POST, "/users/@me/password-change/resend", "user:password_change:resend", RateLimit(10, per: 60_000)),
            (.POST, "/users/@me/password-change/verify", "user:password_change:verify", RateLimit(20, per: 60_000)),
            (.POST, "/users/@me/password-change/complete", "user:password_change:complete", RateLimit(10, per: 60_000)),
        ]
        for (method, pattern, bucket, limit) in expected {
            #expect(RateLimitBuckets.name(method: method, pattern: pattern) == bucket, "\(pattern)")
            #expect(RateLimitBuckets.defaults[bucket] == limit, "\(bucket)")
        }
    }

    @Test func authorizeIP_isLimitedPerClient() throws {
        let h = try AccountsHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            config.ipAuthorization = true
            config.rateLimitsEnabled = true
        }
        defer { h.stop() }
        let statuses = (0..<6).map { _ in h.post("/auth/authorize-ip", ["token": Base62.encode(randomCount: 64)], headers: Self.away).status }
        #expect(statuses == [400, 400, 400, 400, 400, 429])
    }

    // MARK: - Maintenance

    @Test func maintenance_sweepsDeadRows_keepsLiveOnes() throws {
        let h = try Self.harness()
        defer { h.stop() }
        let account = try Self.account(h)
        _ = try Self.heldBack(h, account)
        #expect(h.post("/users/@me/password-change/start", [:], auth: account.token).status == 200)
        let now = h.clock.now
        _ = Maintenance(database: h.database, clock: { now + 29 * 60_000 }).runOnce()
        #expect(try h.count("ip_authorizations") == 1 && h.count("password_change_tickets") == 1)
        // 30 minutes: the link and the ticket are dead.
        #expect(Maintenance(database: h.database, clock: { now + 30 * 60_000 + 1 }).runOnce() >= 2)
        #expect(try h.count("ip_authorizations") == 0 && h.count("password_change_tickets") == 0)
        #expect(try h.count("authorized_ips") == 1)
    }
}
