import FluxerCrypto
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import SQLite
import FluxerDomain

/// LG-05: security events land in `audit_events` with user, client address, User-Agent and outcome, and never
/// with a password, token, code or query string; `fluxer-auth audit` prints them as JSON lines, oldest first;
/// old rows are pruned after the retention period.
@Suite(.serialized) struct AuditTests {
    static let ua = "AuditProbe/2.0 (secret-free)"
    static let uaHeader = [("User-Agent", ua)]

    /// Every column of every row, checked for each secret.
    static func expectNoSecrets(_ app: App, _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dump = try auditDump(app)
        #expect(!dump.isEmpty, sourceLocation: sourceLocation)
        for secret in secrets where !secret.isEmpty {
            #expect(!dump.contains(secret), "audit_events contains a secret: \(secret)", sourceLocation: sourceLocation)
        }
        #expect(!dump.contains("?"), "a query string leaked", sourceLocation: sourceLocation)
    }

    @Test func accountEvents_carryContext_neverSecrets() throws {
        let h = try AccountsHarness { Abuse.relaxedAttemptLimits(&$0) }
        defer { h.stop() }
        let user = try h.register(email: "audited@example.com", password: "Sup3r-Secret-Pass")
        let querySecret = "QuerySecret9f8e7d"

        // login.success (a query string on the URL must not reach the log), login.failure ×2.
        let ok = h.post("/auth/login?next=\(querySecret)", ["email": user.email, "password": user.password], headers: Self.uaHeader)
        #expect(ok.status == 200)
        let loginToken = try #require(jsonObject(ok)?["token"] as? String)
        #expect(h.login("ghost@example.com", "Ghost-Password-1", headers: Self.uaHeader).status == 400)
        #expect(h.login(user.email, "Wrong-Password-77", headers: Self.uaHeader).status == 400)

        // session.revoke (sudo by password).
        let revoke = h.post("/auth/sessions/logout", ["session_id_hashes": [idHash(of: loginToken)], "password": user.password],
                            auth: user.token, headers: Self.uaHeader)
        #expect(revoke.status == 204, "\(revoke.body)")

        // mfa.failure and an MFA login.success with a backup code.
        let mfaUser = try h.register(email: "mfa-audited@example.com", password: "Other-Secret-Pass")
        let (secret, backup) = try h.enableTOTP(mfaUser)
        h.clock.advance(milliseconds: 30_000)
        let ticket = try h.mfaTicket(mfaUser)
        let wrongCode = h.wrongTOTP(secret)
        #expect(h.post("/auth/login/mfa/totp", ["code": wrongCode, "ticket": ticket], headers: Self.uaHeader).status == 400)
        let mfaOK = h.post("/auth/login/mfa/totp", ["code": backup[0], "ticket": ticket], headers: Self.uaHeader)
        #expect(mfaOK.status == 200)
        let mfaToken = try #require(jsonObject(mfaOK)?["token"] as? String)

        // password.reset.
        #expect(h.post("/auth/forgot", ["email": user.email], headers: Self.uaHeader).status == 204)
        let resetToken = try h.resetToken(for: user.email)
        let reset = h.post("/auth/reset", ["token": resetToken, "password": "Brand-New-Pass-42"], headers: Self.uaHeader)
        #expect(reset.status == 200, "\(reset.body)")
        let resetSession = try #require(jsonObject(reset)?["token"] as? String)

        let rows = try auditRows(h.running.app)
        func find(_ event: String, _ predicate: (AuditRow) -> Bool = { _ in true }) -> AuditRow? {
            rows.first { $0.event == event && predicate($0) }
        }
        let success = try #require(find("login.success") { $0.userID == user.userID })
        #expect(success.outcome == "success" && success.ip == "127.0.0.1" && success.userAgent == Self.ua)
        let unknown = try #require(find("login.failure") { $0.detail == "unknown_email" })
        #expect(unknown.outcome == "failure" && unknown.userID == nil && unknown.ip == "127.0.0.1" && unknown.userAgent == Self.ua)
        let wrong = try #require(find("login.failure") { $0.userID == user.userID })
        #expect(wrong.outcome == "failure" && wrong.ip == "127.0.0.1" && wrong.userAgent == Self.ua)
        let revoked = try #require(find("session.revoke"))
        #expect(revoked.outcome == "success" && revoked.userID == user.userID && revoked.ip == "127.0.0.1" && revoked.userAgent == Self.ua)
        let mfaFailure = try #require(find("mfa.failure"))
        #expect(mfaFailure.outcome == "failure" && mfaFailure.userID == mfaUser.userID && mfaFailure.detail == "totp")
        #expect(mfaFailure.ip == "127.0.0.1" && mfaFailure.userAgent == Self.ua)
        #expect(find("login.success") { $0.userID == mfaUser.userID && $0.userAgent == Self.ua } != nil)
        let passwordReset = try #require(find("password.reset"))
        #expect(passwordReset.outcome == "success" && passwordReset.userID == user.userID)
        #expect(passwordReset.ip == "127.0.0.1" && passwordReset.userAgent == Self.ua)

        try Self.expectNoSecrets(h.running.app, [
            user.password, "Ghost-Password-1", "Wrong-Password-77", "Other-Secret-Pass", "Brand-New-Pass-42",
            user.token, loginToken, mfaUser.token, mfaToken, resetSession, ticket, resetToken,
            wrongCode, backup[0], h.totp(secret), Base32.encode(secret), querySecret,
        ])
    }

    @Test func applicationAndOAuthEvents_neverSecrets() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let owner = h.user("appowner")
        let (created, client) = h.confidentialApp(owner: owner)
        let sudo = jsonText(["password": owner.password])
        let reset = h.running.call("POST", "/oauth2/applications/\(created.id)/bot/reset-token", auth: owner.auth, json: sudo)
        #expect(reset.status == 200)
        let newBotToken = try #require(jsonObject(reset.body)["token"] as? String)

        // A replayed code and a reused refresh token.
        let code = try h.code(owner, client: client)
        let first = h.exchange(code, client: client)
        #expect(first.status == 200)
        let firstTokens = jsonObject(first.body)
        #expect(h.exchange(code, client: client).status == 400)
        let (access, refresh) = try h.tokens(owner, client: client)
        let rotated = h.refresh(refresh, client: client)
        #expect(rotated.status == 200)
        #expect(h.refresh(refresh, client: client).status == 400)

        let deleted = h.running.call("DELETE", "/oauth2/applications/\(created.id)", auth: owner.auth, json: sudo)
        #expect(deleted.status == 204, "\(deleted.body)")

        let rows = try auditRows(h.running.app)
        for event in ["app.create", "token.reset", "app.delete"] {
            let row = rows.first { $0.event == event }
            #expect(row?.outcome == "success", "\(event)")
            #expect(row?.userID == owner.id, "\(event)")
            #expect(row?.columns["application_id"] == created.id, "\(event)")
            #expect(row?.ip == "127.0.0.1", "\(event)")
        }
        for event in ["oauth.code_replay", "oauth.refresh_reuse"] {
            let row = rows.first { $0.event == event }
            #expect(row?.outcome == "refused", "\(event)")
            #expect(row?.userID == owner.id, "\(event)")
            #expect(row?.columns["application_id"] == created.id, "\(event)")
            #expect(row?.ip == "127.0.0.1", "\(event): where the replay came from")
        }
        #expect(rows.first { $0.event == "oauth.grant" }?.ip == "127.0.0.1", "oauth.grant: where consent was given")
        try Self.expectNoSecrets(h.running.app, [
            owner.password, owner.token, created.clientSecret, created.botToken, newBotToken, code,
            firstTokens["access_token"] as? String ?? "", firstTokens["refresh_token"] as? String ?? "",
            access, refresh, jsonObject(rotated.body)["access_token"] as? String ?? "", jsonObject(rotated.body)["refresh_token"] as? String ?? "",
        ])
    }

    @Test func auditCommand_filtersByUserAndSince_oldestFirst() throws {
        let h = try AccountsHarness { Abuse.relaxedAttemptLimits(&$0) }
        defer { h.stop() }
        let a = try h.register(email: "cmd-a@example.com")
        let b = try h.register(email: "cmd-b@example.com")
        #expect(h.login(a.email, "wrong password 1").status == 400)
        #expect(h.login(b.email, "wrong password 1").status == 400)
        h.clock.advance(milliseconds: 2 * 86_400_000)
        let sinceSeconds = h.clock.now / 1000
        #expect(h.login(a.email, a.password).status == 200)
        #expect(h.login(a.email, "wrong password 2").status == 400)
        #expect(h.login(b.email, b.password).status == 200)
        h.running.app.context.audit.flush()

        func run(user: String?, since: String?) throws -> [[String: Any]] {
            var lines: [String] = []
            try AuditCommand.run(config: h.running.app.context.config, user: user, since: since, follow: false) { lines.append($0) }
            return lines.map { jsonObject($0) }
        }
        let all = try run(user: nil, since: nil)
        #expect(all.count >= 5)
        let ids = all.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted() && ids.count == all.count)
        let times = all.compactMap { $0["at"] as? String }
        #expect(times == times.sorted())

        let onlyA = try run(user: a.userID, since: nil)
        #expect(onlyA.count == 3)
        #expect(onlyA.allSatisfy { $0["user_id"] as? String == a.userID })
        #expect(onlyA.map { $0["event"] as? String ?? "" } == ["login.failure", "login.success", "login.failure"])
        #expect(onlyA.allSatisfy { Set($0.keys) == ["id", "at", "event", "outcome", "user_id", "application_id", "ip", "user_agent", "detail", "actor"] })

        let recentA = try run(user: a.userID, since: String(sinceSeconds))
        #expect(recentA.map { $0["event"] as? String ?? "" } == ["login.success", "login.failure"])
        let recentAll = try run(user: nil, since: String(sinceSeconds))
        #expect(recentAll.count == 3)
        // A date means its midnight UTC.
        let day = String(ISO8601.format(milliseconds: h.clock.now).prefix(10))
        let sameDay = try run(user: nil, since: day)
        #expect(sameDay.count == 3)
        #expect(try run(user: nil, since: "2999-01-01").isEmpty)

        #expect(throws: UserCommands.Failure.self) { _ = try run(user: "not-a-user", since: nil) }
        #expect(throws: UserCommands.Failure.self) { _ = try run(user: nil, since: "yesterday") }
    }

    @Test func retention_prunesOldRows() throws {
        let h = try AccountsHarness { config in
            Abuse.relaxedAttemptLimits(&config)
            config.auditRetentionDays = 1
        }
        defer { h.stop() }
        #expect(h.login("old@example.com", "some wrong password").status == 400)
        h.running.app.context.audit.flush()
        #expect(try h.count("audit_events") == 1)
        // Past the retention; the writer thread prunes on its next pass (it checks at most hourly).
        h.clock.advance(milliseconds: 2 * 86_400_000)
        #expect(h.login("new@example.com", "some wrong password").status == 400)
        var waited = 0
        while try h.count("audit_events", where: "at < \(h.clock.now - 86_400_000)") > 0, waited < 5_000 {
            usleep(50_000)
            waited += 50
        }
        h.running.app.context.audit.flush()
        #expect(try h.count("audit_events", where: "at < \(h.clock.now - 86_400_000)") == 0)
        #expect(try h.count("audit_events") == 1)
    }
}
