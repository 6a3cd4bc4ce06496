import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// The OAuth2 authorize page's MFA step: a user with TOTP signs in on the page, gets the code form, a wrong
/// code re-shows it with 400, the right code sets the session cookie and leads to the consent page.
@Suite struct MFAAuthorizePageTests {
    /// Enables TOTP for `user` through the API and answers the secret.
    static func enableTOTP(_ h: OAuthHarness, _ user: TestUser) throws -> [UInt8] {
        let secret = TOTP.generateSecret()
        let code = TOTP.code(secret: secret, counter: UInt64(h.clock.now / 30_000))
        let r = h.request("POST", "/users/@me/mfa/totp/enable", headers: [("Authorization", user.auth), ("Content-Type", "application/json")],
                          body: jsonText(["secret": Base32.encode(secret), "code": code, "password": user.password]))
        #expect(r.status == 200, "\(r.body)")
        return secret
    }

    @Test func totpUser_signsInOnThePage() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let secret = try Self.enableTOTP(h, alice)
        h.clock.advance(milliseconds: 30_000)
        let browser = OAuthBrowserFlowTests.Browser(h: h)
        let path = authorizePath(OAuthBrowserFlowTests.pairs(client.id))

        let login = browser.get(path)
        #expect(login.status == 200)
        let posted = browser.post("/oauth2/authorize/login", hiddenInputs(login.body) + [("email", "alice@example.com"), ("password", alice.password)],
                                  origin: h.issuer)
        #expect(posted.status == 200, "\(posted.status)")
        #expect(posted.body.contains("action=\"/oauth2/authorize/mfa\""))
        #expect(browser.jar["fluxer_session"] == nil, "no session before the second factor")
        let fields = hiddenInputs(posted.body)
        let ticket = try #require(fields.first { $0.0 == "ticket" }?.1)
        #expect(ticket.count == 64)
        #expect(!posted.body.contains("send_sms"), "no SMS form without SMS MFA")

        // A wrong code: 400, the form again, same ticket, no cookie.
        let wrong = browser.post("/oauth2/authorize/mfa", fields + [("code", TOTP.code(secret: secret, counter: UInt64(h.clock.now / 30_000) + 7))],
                                 origin: h.issuer)
        #expect(wrong.status == 400)
        #expect(wrong.body.contains("That code is not valid."))
        #expect(hiddenInputs(wrong.body).first { $0.0 == "ticket" }?.1 == ticket)
        #expect(browser.jar["fluxer_session"] == nil)
        // Cross-origin or without the CSRF value: refused.
        let crossSite = browser.post("/oauth2/authorize/mfa", fields + [("code", "123456")], origin: "https://evil.example")
        #expect(crossSite.status == 403)
        let noCSRF = browser.post("/oauth2/authorize/mfa", fields.filter { $0.0 != "csrf" } + [("code", "123456")], origin: h.issuer)
        #expect(noCSRF.status == 403)

        // The right code: 303 back to the page with the session cookie, then the consent page.
        let right = browser.post("/oauth2/authorize/mfa", fields + [("code", TOTP.code(secret: secret, counter: UInt64(h.clock.now / 30_000)))],
                                 origin: h.issuer)
        #expect(right.status == 303, "\(right.status) \(right.body)")
        #expect(setCookies(right).contains { $0.hasPrefix("fluxer_session=") && $0.contains("HttpOnly") })
        let location = try #require(right.header("Location"))
        #expect(location.hasPrefix("/oauth2/authorize?"))
        let consent = browser.get(location)
        #expect(consent.status == 200)
        #expect(consent.body.contains("action=\"/oauth2/authorize/decision\""))

        // The ticket is spent.
        let again = browser.post("/oauth2/authorize/mfa", fields + [("code", "123456")], origin: h.issuer)
        #expect(again.status == 400 && again.body.contains("expired"))
    }

    /// A user whose only second factor is a security key signs in on the page: the MFA step carries the request
    /// options for the page's one script (served from this origin, CSP `script-src 'self'`), a refused assertion
    /// re-shows the step with a fresh challenge, a good one sets the session cookie and leads to consent.
    @Test func securityKeyUser_signsInOnThePage() throws {
        let h = try OAuthHarness { config in
            config.webauthnRPID = SoftAuthenticator.rpID
            config.webauthnOrigins = [SoftAuthenticator.origin]
        }
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let key = SoftAuthenticator()
        let json = [("Authorization", alice.auth), ("Content-Type", "application/json")]
        let options = jsonObject(h.request("POST", "/users/@me/mfa/webauthn/credentials/registration-options", headers: json,
                                           body: jsonText(["password": alice.password])).body)
        let registrationChallenge = try #require((options["challenge"] as? String).flatMap(Base64URL.decode))
        let registered = h.request("POST", "/users/@me/mfa/webauthn/credentials", headers: json, body: jsonText([
            "response": MFAHarness.credentialJSON(key, key.register(challenge: registrationChallenge)),
            "challenge": Base64URL.encode(registrationChallenge), "name": "Key", "password": alice.password,
        ]))
        #expect(registered.status == 204, "\(registered.body)")

        let browser = OAuthBrowserFlowTests.Browser(h: h)
        let login = browser.get(authorizePath(OAuthBrowserFlowTests.pairs(client.id)))
        let step = browser.post("/oauth2/authorize/login", hiddenInputs(login.body) + [("email", "alice@example.com"), ("password", alice.password)],
                                origin: h.issuer)
        #expect(step.status == 200 && step.body.contains("id=\"webauthn-form\""), "\(step.body)")
        #expect(step.body.contains("<script src=\"/oauth2/assets/webauthn.js\"></script>") && !step.body.contains("name=\"code\""))
        #expect(step.header("Content-Security-Policy")?.contains("script-src 'self';") == true)
        #expect(!(login.header("Content-Security-Policy") ?? "").contains("script-src"), "only the key step allows script")

        /// The key form's fields and the challenge in its options.
        func keyForm(_ page: TestResponse) throws -> (fields: [(String, String)], challenge: [UInt8]) {
            let start = try #require(page.body.range(of: "<form id=\"webauthn-form\""))
            let form = String(page.body[start.lowerBound...])
            let html = String(form[..<(try #require(form.range(of: "</form>"))).lowerBound])
            let optionsText = try #require(html.range(of: "data-options=\"").map { html[$0.upperBound...].prefix { $0 != "\"" } })
            let requestOptions = jsonObject(unescapeHTML(String(optionsText)))
            #expect(requestOptions["rpId"] as? String == SoftAuthenticator.rpID)
            #expect((requestOptions["allowCredentials"] as? [[String: Any]])?.first?["id"] as? String == Base64URL.encode(key.credentialID))
            let challenge = try #require((requestOptions["challenge"] as? String).flatMap(Base64URL.decode))
            return (hiddenInputs(html), challenge)
        }
        func submit(_ fields: [(String, String)], _ assertion: [String: Any]) -> TestResponse {
            browser.post("/oauth2/authorize/mfa", fields.map { $0.0 == "response" ? ("response", jsonText(assertion)) : $0 }, origin: h.issuer)
        }

        let first = try keyForm(step)
        var bad = key.assert(challenge: first.challenge)
        bad.signature[bad.signature.count - 3] ^= 1
        let refused = submit(first.fields, MFAHarness.assertionJSON(key, bad))
        #expect(refused.status == 400 && refused.body.contains("The security key could not be verified."), "\(refused.status)")
        #expect(browser.jar["fluxer_session"] == nil)
        // The refused attempt spent its challenge: replaying a good assertion for it fails too.
        let replay = submit(first.fields, MFAHarness.assertionJSON(key, key.assert(challenge: first.challenge)))
        #expect(replay.status == 400)

        let second = try keyForm(replay)
        #expect(second.challenge != first.challenge)
        let done = submit(second.fields, MFAHarness.assertionJSON(key, key.assert(challenge: second.challenge)))
        #expect(done.status == 303, "\(done.status) \(done.body)")
        let location = try #require(done.header("Location"))
        #expect(browser.get(location).body.contains("action=\"/oauth2/authorize/decision\""))

        let script = h.request("GET", "/oauth2/assets/webauthn.js")
        #expect(script.status == 200 && script.header("Content-Type") == "text/javascript; charset=utf-8" && script.body.contains("navigator.credentials.get"))
    }

    @Test func page_ticketRules() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let bob = h.user("bob")
        let (_, client) = h.confidentialApp(owner: bob)
        let secret = try Self.enableTOTP(h, bob)
        let browser = OAuthBrowserFlowTests.Browser(h: h)
        func mfaForm() -> [(String, String)] {
            let login = browser.get(authorizePath(OAuthBrowserFlowTests.pairs(client.id)))
            let posted = browser.post("/oauth2/authorize/login", hiddenInputs(login.body) + [("email", "bob@example.com"), ("password", bob.password)],
                                      origin: h.issuer)
            return hiddenInputs(posted.body)
        }
        // Five wrong codes kill the ticket, as on the API.
        let fields = mfaForm()
        for _ in 1...5 {
            #expect(browser.post("/oauth2/authorize/mfa", fields + [("code", "000000")], origin: h.issuer).status == 400)
        }
        h.clock.advance(milliseconds: 30_000)
        let current = TOTP.code(secret: secret, counter: UInt64(h.clock.now / 30_000))
        let dead = browser.post("/oauth2/authorize/mfa", fields + [("code", current)], origin: h.issuer)
        #expect(dead.status == 400 && dead.body.contains("expired"), "\(dead.body)")
        // Expiry: 5 minutes.
        let late = mfaForm()
        h.clock.advance(milliseconds: 5 * 60_000)
        let expired = browser.post("/oauth2/authorize/mfa", late + [("code", TOTP.code(secret: secret, counter: UInt64(h.clock.now / 30_000)))],
                                   origin: h.issuer)
        #expect(expired.status == 400 && expired.body.contains("expired"))
        #expect(browser.jar["fluxer_session"] == nil)
    }
}
