import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import FluxerDomain

/// The authorization page as a browser drives it over real HTTP with cookies: login form, consent, decision,
/// CSRF (AZ-09, AZ-10, AZ-11, AZ-12, AZ-13, AZ-14, AZ-16), cancel, wrong password, and prompt=none.
@Suite struct OAuthBrowserFlowTests {
    static func pairs(_ client: String, scope: String = "identify email", state: String = "s-123", extra: [(String, String)] = []) -> [(String, String)] {
        [("response_type", "code"), ("client_id", client), ("redirect_uri", oauthRedirect), ("scope", scope), ("state", state)] + extra
    }

    /// A browser session: GET the page, fill in the login form, follow the 303 back to the consent page.
    struct Browser {
        let h: OAuthHarness
        let jar = CookieJar()

        func get(_ path: String) -> TestResponse {
            let r = h.request("GET", path, headers: jar.header)
            jar.store(r)
            return r
        }

        func post(_ path: String, _ fields: [(String, String)], origin: String? = nil) -> TestResponse {
            var headers = jar.header
            if let origin { headers.append(("Origin", origin)) }
            let r = h.form(path, fields, headers: headers)
            jar.store(r)
            return r
        }

        /// Signs in through the form; returns the consent page.
        func signIn(_ pairs: [(String, String)], email: String, password: String = "correct horse battery",
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> TestResponse {
            let login = get(authorizePath(pairs))
            #expect(login.status == 200, sourceLocation: sourceLocation)
            #expect(login.body.contains("action=\"/oauth2/authorize/login\""), sourceLocation: sourceLocation)
            let posted = post("/oauth2/authorize/login", hiddenInputs(login.body) + [("email", email), ("password", password)], origin: h.issuer)
            #expect(posted.status == 303, "\(posted.status) \(posted.body)", sourceLocation: sourceLocation)
            let location = try #require(posted.header("Location"), sourceLocation: sourceLocation)
            #expect(location.hasPrefix("/oauth2/authorize?"), sourceLocation: sourceLocation)
            return get(location)
        }
    }

    static func expectPageHeaders(_ r: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.header("X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        let csp = r.header("Content-Security-Policy") ?? ""
        #expect(csp.contains("frame-ancestors 'none'"), "\(csp)", sourceLocation: sourceLocation)
        #expect(r.header("Referrer-Policy") == "no-referrer", sourceLocation: sourceLocation)
        #expect(r.header("Access-Control-Allow-Origin") == nil, sourceLocation: sourceLocation)
        #expect(r.header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
    }

    /// Issue 12, "Anyone can lock anyone out": the page's login is a sign-in like `POST /auth/login` — it
    /// resets the failure count and is audited (before, it did neither, so failures piled up into a lock).
    @Test func authorizePageLogin_recordsSuccess_resetsTheFailureCount() throws {
        let h = try OAuthHarness { config in
            config.lockoutThreshold = 3
            config.loginEmailIPLimit = RateLimit(100, per: 60_000)
        }
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let wrong = { (n: Int) -> TestResponse in
            h.request("POST", "/auth/login", headers: [("Content-Type", "application/json")],
                      body: jsonText(["email": "alice@example.com", "password": "wrong password \(n)"]))
        }
        for n in 1...2 { #expect(wrong(n).status == 400) }
        func failures() throws -> Int64? {
            try h.database.read { db in try db.queryOne("SELECT mfa_failures FROM users WHERE id = ?", Int64(alice.id)!)?.int("mfa_failures") }
        }
        #expect(try failures() == 2)
        _ = try Browser(h: h).signIn(Self.pairs(client.id), email: "alice@example.com")
        #expect(try failures() == 0)
        #expect(try h.count("rate_limits", where: "key LIKE 'lockout:%'") == 0)
        h.running.app.context.audit.flush()
        #expect(try h.count("audit_events", where: "event = 'login.success' AND user_id = \(alice.id)") == 1)
        // Two more failures do not lock (they would have, counted on top of the first two).
        for n in 3...4 { #expect(wrong(n).status == 400) }
        #expect(h.request("POST", "/auth/login", headers: [("Content-Type", "application/json")],
                          body: jsonText(["email": "alice@example.com", "password": alice.password])).status == 200)
    }

    // The whole flow: AZ-09..AZ-14, AZ-16, AZ-17 (iss).
    @Test func fullFlow_loginConsentDecisionExchange() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice, name: "Acme <Photos>")
        let browser = Browser(h: h)

        // 1. Not signed in: the login form, with a CSRF cookie.
        let login = browser.get(authorizePath(Self.pairs(client.id)))
        #expect(login.status == 200)
        #expect(login.header("Content-Type")?.hasPrefix("text/html") == true)
        Self.expectPageHeaders(login)
        let csrfCookie = try #require(setCookies(login).first { $0.hasPrefix("fluxer_csrf=") })
        #expect(csrfCookie.contains("HttpOnly") && csrfCookie.contains("SameSite=Lax") && !csrfCookie.contains("Secure"))
        #expect(login.body.contains("Acme &lt;Photos&gt;") && !login.body.contains("Acme <Photos>"))

        // 2. The login POST: 303 back to the page, with a session cookie.
        let posted = browser.post("/oauth2/authorize/login", hiddenInputs(login.body) + [("email", "alice@example.com"),
                                                                                          ("password", alice.password)], origin: h.issuer)
        #expect(posted.status == 303)
        Self.expectPageHeaders(posted)
        let session = try #require(setCookies(posted).first { $0.hasPrefix("fluxer_session=") })
        #expect(session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"))
        #expect(!session.contains("Secure"), "dev mode over http: no Secure")
        #expect(browser.jar["fluxer_session"]?.hasPrefix("flx_") == true)
        let back = try #require(posted.header("Location"))
        #expect(back.hasPrefix("/oauth2/authorize?"))

        // 3. The consent page.
        let consent = browser.get(back)
        #expect(consent.status == 200)
        Self.expectPageHeaders(consent)
        #expect(consent.body.contains("Acme &lt;Photos&gt;"))
        #expect(consent.body.contains(WebPage.escape(OAuthScope.identify.consentText)))
        #expect(consent.body.contains(WebPage.escape(OAuthScope.email.consentText)))
        #expect(!consent.body.contains(WebPage.escape(OAuthScope.guilds.consentText)))
        #expect(consent.body.contains("action=\"/oauth2/authorize/decision\""))
        #expect(consent.header("Content-Security-Policy")?.contains("form-action 'self' https://client.example") == true)
        #expect(try h.count("oauth2_codes") == 0)

        // 4. Authorize: 303 to the client with code, state and iss.
        let decided = browser.post("/oauth2/authorize/decision", hiddenInputs(consent.body) + [("action", "authorize")], origin: h.issuer)
        #expect(decided.status == 303)
        let location = try #require(decided.header("Location"))
        #expect(location.hasPrefix(oauthRedirect + "?"))
        let q = queryParameters(location)
        #expect(q["state"] == "s-123" && q["iss"] == h.issuer && isTokenShaped(q["code"]))
        #expect(Set(q.keys) == ["code", "state", "iss"])

        // 5. The token exchange.
        let exchanged = h.exchange(try #require(q["code"]), client: client)
        #expect(exchanged.status == 200)
        #expect(jsonObject(exchanged.body)["scope"] as? String == "identify email")
        let access = try #require(jsonObject(exchanged.body)["access_token"] as? String)
        let me = jsonObject(h.get("/users/@me", auth: "Bearer " + access).body)
        #expect(me["id"] as? String == alice.id && me["email"] as? String == "alice@example.com")
    }

    // AZ-10: the decision needs the session-bound CSRF token and a same-origin (or absent) Origin.
    @Test func decisionCSRF_missingForeignOrWrongOrigin_is403_noCode() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let bob = h.user("bob")
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = Browser(h: h)
        let consent = try browser.signIn(Self.pairs(client.id), email: "alice@example.com")
        let fields = hiddenInputs(consent.body)
        let withoutCSRF = fields.filter { $0.0 != "csrf" }
        #expect(fields.count == withoutCSRF.count + 1)

        // Bob's consent page gives a CSRF token bound to his session.
        let bobPage = h.request("GET", authorizePath(Self.pairs(client.id)), headers: [("Cookie", "fluxer_session=\(bob.token)")])
        #expect(bobPage.status == 200 && bobPage.body.contains("decision"))
        let bobCSRF = try #require(hiddenInputs(bobPage.body).first { $0.0 == "csrf" }?.1)
        let aliceCSRF = try #require(fields.first { $0.0 == "csrf" }?.1)
        #expect(bobCSRF != aliceCSRF)

        let attempts: [(String, [(String, String)], String?)] = [
            ("no csrf", withoutCSRF + [("action", "authorize")], h.issuer),
            ("empty csrf", withoutCSRF + [("csrf", ""), ("action", "authorize")], h.issuer),
            ("bob's csrf", withoutCSRF + [("csrf", bobCSRF), ("action", "authorize")], h.issuer),
            ("csrf cookie value", withoutCSRF + [("csrf", browser.jar["fluxer_csrf"] ?? "x"), ("action", "authorize")], nil),
            ("foreign origin", fields + [("action", "authorize")], "https://evil.example"),
            ("other port", fields + [("action", "authorize")], "http://127.0.0.1:1"),
        ]
        for (label, body, origin) in attempts {
            let r = browser.post("/oauth2/authorize/decision", body, origin: origin)
            #expect(r.status == 403, "\(label): \(r.status)")
            #expect(r.header("Location") == nil, "\(label)")
            #expect(try h.count("oauth2_codes") == 0, "\(label)")
            #expect(try h.count("oauth2_authorizations") == 0, "\(label)")
        }
        // Without a session cookie at all: 401 page.
        let noSession = h.form("/oauth2/authorize/decision", fields + [("action", "authorize")])
        #expect(noSession.status == 401 && noSession.header("Location") == nil)
        // The genuine post works, with `Origin: null`: what a browser sends for a form on a no-referrer page.
        let ok = browser.post("/oauth2/authorize/decision", fields + [("action", "authorize")], origin: "null")
        #expect(ok.status == 303 && queryParameters(ok.header("Location") ?? "")["code"] != nil)
        #expect(try h.count("oauth2_codes") == 1)
    }

    // AZ-10: login form double-submit cookie.
    @Test func loginPost_withoutCSRFCookie_is403() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = Browser(h: h)
        let login = browser.get(authorizePath(Self.pairs(client.id)))
        let fields = hiddenInputs(login.body) + [("email", "alice@example.com"), ("password", alice.password)]
        let sessionsBefore = try h.count("sessions")
        // No cookie.
        let r1 = h.form("/oauth2/authorize/login", fields)
        // A different cookie value.
        let r2 = h.form("/oauth2/authorize/login", fields, headers: [("Cookie", "fluxer_csrf=somethingelse")])
        // Foreign origin with the right cookie.
        let r3 = h.form("/oauth2/authorize/login", fields, headers: browser.jar.header + [("Origin", "https://evil.example")])
        for r in [r1, r2, r3] {
            #expect(r.status == 403)
            #expect(!setCookies(r).contains { $0.hasPrefix("fluxer_session=") })
            #expect(r.header("Location") == nil)
        }
        #expect(try h.count("sessions") == sessionsBefore)
    }

    // AZ-11
    @Test func cancel_redirectsAccessDenied_noCode() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = Browser(h: h)
        let consent = try browser.signIn(Self.pairs(client.id, state: "keep me"), email: "alice@example.com")
        let r = browser.post("/oauth2/authorize/decision", hiddenInputs(consent.body) + [("action", "cancel")], origin: h.issuer)
        #expect(r.status == 303)
        let q = queryParameters(r.header("Location") ?? "")
        #expect(r.header("Location")?.hasPrefix(oauthRedirect + "?") == true)
        #expect(q["error"] == "access_denied" && q["state"] == "keep me" && q["code"] == nil && q["iss"] == h.issuer)
        #expect(try h.count("oauth2_codes") == 0)
        #expect(try h.count("oauth2_authorizations") == 0)
    }

    @Test func wrongPassword_is400Page_noSessionCookie() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = Browser(h: h)
        // Each answer is a fresh form (with a fresh CSRF cookie), as a browser would resubmit it.
        var form = browser.get(authorizePath(Self.pairs(client.id)))
        let sessionsBefore = try h.count("sessions")
        for (email, password) in [("alice@example.com", "wrong horse battery"), ("nobody@example.com", "correct horse battery"),
                                  ("alice@example.com", "short")] {
            let r = browser.post("/oauth2/authorize/login", hiddenInputs(form.body) + [("email", email), ("password", password)])
            form = r
            #expect(r.status == 400)
            #expect(r.header("Location") == nil)
            #expect(!setCookies(r).contains { $0.hasPrefix("fluxer_session=") })
            #expect(r.body.contains("Invalid email or password."))
            Self.expectPageHeaders(r)
        }
        #expect(browser.jar["fluxer_session"] == nil)
        #expect(try h.count("sessions") == sessionsBefore)
    }

    @Test func promptNone_loginRequired_consentRequired_thenSilentCode() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let silent = Self.pairs(client.id, scope: "identify", extra: [("prompt", "none")])

        // Not signed in.
        let r1 = h.get(authorizePath(silent))
        #expect(r1.status == 302)
        let q1 = queryParameters(r1.header("Location") ?? "")
        #expect(q1["error"] == "login_required" && q1["state"] == "s-123" && q1["iss"] == h.issuer)

        // Signed in, never consented.
        let cookie = [("Cookie", "fluxer_session=\(alice.token)")]
        let r2 = h.request("GET", authorizePath(silent), headers: cookie)
        #expect(r2.status == 302)
        #expect(queryParameters(r2.header("Location") ?? "")["error"] == "consent_required")
        #expect(try h.count("oauth2_codes") == 0)

        // Consent once through the page.
        let browser = Browser(h: h)
        let consent = try browser.signIn(Self.pairs(client.id, scope: "identify"), email: "alice@example.com")
        #expect(browser.post("/oauth2/authorize/decision", hiddenInputs(consent.body) + [("action", "authorize")]).status == 303)
        #expect(try h.count("oauth2_codes") == 1)

        // Now silent: a 302 with a code and no page.
        let r3 = h.request("GET", authorizePath(silent), headers: cookie)
        #expect(r3.status == 302)
        #expect(r3.body.isEmpty)
        let q3 = queryParameters(r3.header("Location") ?? "")
        #expect(isTokenShaped(q3["code"]) && q3["state"] == "s-123" && q3["error"] == nil)
        #expect(h.exchange(try #require(q3["code"]), client: client).status == 200)

        // A wider scope than consented still needs the page.
        let wider = h.request("GET", authorizePath(Self.pairs(client.id, scope: "identify email", extra: [("prompt", "none")])), headers: cookie)
        #expect(queryParameters(wider.header("Location") ?? "")["error"] == "consent_required")
    }

    /// A bearer (OAuth) token or a bot token in the session cookie does not sign the browser in (AZ-09).
    @Test func onlyRealSessionsSignInThePage() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (app, client) = h.confidentialApp(owner: alice)
        let (access, _) = try h.tokens(alice, client: client)
        for value in [access, app.botToken, "flx_garbage"] {
            let r = h.request("GET", authorizePath(Self.pairs(client.id)), headers: [("Cookie", "fluxer_session=\(value)")])
            #expect(r.status == 200)
            #expect(r.body.contains("/oauth2/authorize/login"))
        }
    }
}
