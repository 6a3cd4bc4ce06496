import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

@Suite struct EmailVerificationTests {
    @Test func verify_marksUserVerified_tokenSingleUse() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "Vera@Example.com")
        #expect(jsonObject(h.me(account.token))?["verified"] as? Bool == false)  // cached unverified
        let token = try h.verificationToken(for: account.email)
        // With the registrant's session (without it, the first proof claims the account: PreAccountHijackTests).
        let response = h.post("/auth/verify", ["token": token], auth: account.token)
        #expect(response.status == 204)
        #expect(try h.userRow(id: account.userID)?.bool("verified") == true)
        #expect(try h.count("email_tokens") == 0)
        // The cached session must not keep the stale user.
        #expect(jsonObject(h.me(account.token))?["verified"] as? Bool == true)

        let reused = try h.expectNoChange("reused token") { h.post("/auth/verify", ["token": token]) }
        #expect(reused.status == 400)
        #expect(formErrors(reused) == [FormError(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")])
    }

    @Test func verify_sameTokenConcurrently_succeedsOnce() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "vtwice@example.com")
        let body = jsonText(["token": try h.verificationToken(for: account.email)])
        let port = h.port
        let answers = concurrently(5) { _ in
            TestClient.request(port: port, "POST", "/auth/verify", headers: [("Content-Type", "application/json")], body: body)
        }
        #expect(answers.filter { $0.status == 204 }.count == 1, "\(answers.map(\.status))")
        #expect(answers.filter { $0.status == 400 }.count == 4)
        #expect(try h.userRow(id: account.userID)?.bool("verified") == true)
    }

    @Test func verify_unclaimedAccount_resendIsEmailRequired() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let response = h.post("/auth/register", AccountsHarness.registrationBody(email: nil, password: nil))
        let token = try #require(jsonObject(response)?["token"] as? String)
        let resend = try h.expectNoChange("resend without email") { h.request("POST", "/auth/verify/resend", auth: token) }
        #expect(resend.status == 400)
        #expect(formErrors(resend) == [FormError(path: "email", code: "EMAIL_IS_REQUIRED")])
    }

    @Test func verify_tokenExpiresAfter24Hours() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let early = try h.register(email: "early@example.com")
        let earlyToken = try h.verificationToken(for: early.email)
        h.clock.advance(milliseconds: 24 * 3_600_000 - 1_000)
        #expect(h.post("/auth/verify", ["token": earlyToken]).status == 204)

        let late = try h.register(email: "late@example.com")
        let lateToken = try h.verificationToken(for: late.email)
        h.clock.advance(milliseconds: 24 * 3_600_000)
        let expired = try h.expectNoChange("expired token") { h.post("/auth/verify", ["token": lateToken]) }
        #expect(expired.status == 400)
        #expect(formErrors(expired) == [FormError(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")])
        #expect(try h.userRow(id: late.userID)?.bool("verified") == false)
    }

    @Test func verify_invalidBodies_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "vb@example.com")
        _ = h.post("/auth/forgot", ["email": account.email])
        let resetToken = try h.resetToken(for: account.email)
        let cases: [(String, [String: Any], FormError)] = [
            ("missing token", [:], .init(path: "token", code: "BASE_TYPE_REQUIRED")),
            ("token wrong type", ["token": 7], .init(path: "token", code: "BASE_TYPE_INVALID")),
            ("token too short", ["token": "abc"], .init(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")),
            ("token too long", ["token": String(repeating: "a", count: 65)], .init(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")),
            ("token bad alphabet", ["token": String(repeating: "-", count: 64)], .init(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")),
            ("unknown token", ["token": String(repeating: "A", count: 64)], .init(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")),
            ("reset token", ["token": resetToken], .init(path: "token", code: "INVALID_OR_EXPIRED_VERIFICATION_TOKEN")),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNoChange(label) { h.post("/auth/verify", body) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response) == [expected], "\(label): \(response.body)")
        }
        let media = try h.expectNoChange("415") {
            h.request("POST", "/auth/verify", json: jsonText(["token": resetToken]), headers: [("Content-Type", "text/plain")])
        }
        #expect(media.status == 415)
        #expect(try h.userRow(id: account.userID)?.bool("verified") == false)
    }

    @Test func resend_sendsANewEmail_eitherTokenVerifies_thenAlreadyVerified() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "resend@example.com")
        let first = try h.verificationToken(for: account.email)
        let response = h.request("POST", "/auth/verify/resend", auth: account.token)
        #expect(response.status == 204)
        #expect(try h.emails(kind: "verify_email", to: account.email).count == 2)
        let second = try h.verificationToken(for: account.email)
        #expect(second != first)
        #expect(h.post("/auth/verify", ["token": second], auth: account.token).status == 204)
        // Verifying ends every outstanding verification token.
        #expect(h.post("/auth/verify", ["token": first]).status == 400)

        let again = try h.expectNoChange("already verified") { h.request("POST", "/auth/verify/resend", auth: "Bearer \(account.token)") }
        #expect(again.status == 400)
        #expect(errorCode(again) == "INVALID_FORM_BODY" && again.body.contains(#""code":"ACCOUNT_ALREADY_VERIFIED""#))
    }

    @Test func resend_withoutValidSession_is401() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "r401@example.com")
        let revoked = try h.loginToken(account)
        #expect(h.request("POST", "/auth/logout", auth: revoked).status == 204)
        for auth in [nil, revoked, "flx_abc", "Bot \(account.token)"] as [String?] {
            let response = try h.expectNoChange("resend \(auth ?? "nil")") { h.request("POST", "/auth/verify/resend", auth: auth) }
            #expect(response.status == 401)
            #expect(response.body == unauthorizedBody)
        }
    }
}
