import FluxerCrypto
import Glibc
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
@testable import HTTPServer
import Synchronization
import FluxerDomain

/// OpenID Connect single sign-on (`/auth/sso/*`) against the built-in dev provider, in process and over real
/// HTTP between two servers, plus the ID-token checks of OIDC Core §3.1.3.7 one by one.
@Suite struct SSOTests {
    static func mockHarness(_ extra: @escaping (inout Config) -> Void = { _ in }) throws -> MFAHarness {
        try MFAHarness { config in
            config.sso.enabled = true
            config.sso.issuer = "mock"
            extra(&config)
        }
    }

    /// `start`, the provider's authorize step (login_hint), and the code and state it hands back.
    static func authorize(_ h: MFAHarness, email: String, port: Int? = nil, body: [String: Any] = [:],
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> (code: String, state: String, start: [String: Any]) {
        let started = h.post("/auth/sso/start", body)
        #expect(started.status == 200, "\(started.body)", sourceLocation: sourceLocation)
        let start = jsonObject(started.body)
        let authorizationURL = try #require(start["authorization_url"] as? String, sourceLocation: sourceLocation)
        let url = try #require(URL(string: authorizationURL), sourceLocation: sourceLocation)
        let target = url.path + "?" + (url.query ?? "") + "&login_hint=" + email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let provider = TestClient.request(port: port ?? url.port!, "GET", target)
        #expect(provider.status == 302, "\(provider.body)", sourceLocation: sourceLocation)
        let locationText = try #require(provider.header("Location"), sourceLocation: sourceLocation)
        let location = try #require(URLComponents(string: locationText), sourceLocation: sourceLocation)
        let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["state"] == start["state"] as? String, sourceLocation: sourceLocation)
        let code = try #require(items["code"], sourceLocation: sourceLocation)
        let state = try #require(items["state"], sourceLocation: sourceLocation)
        return (code, state, start)
    }

    @Test func status_disabledByDefault_outsideDevMode() throws {
        let h = try MFAHarness { config in config.dev = false }
        defer { h.stop() }
        let status = jsonObject(h.send("GET", "/auth/sso/status").body)
        #expect(status["enabled"] as? Bool == false && status["enforced"] as? Bool == false && status["display_name"] is NSNull)
        #expect((status["providers"] as? [Any])?.isEmpty == true)
        let start = h.post("/auth/sso/start")
        #expect(start.status == 400 && jsonObject(start.body)["code"] as? String == "SSO_NOT_ENABLED")
        #expect(h.send("GET", "/_dev/sso/jwks").status == 404, "the built-in provider exists in dev mode only")
    }

    /// Issue 14: dev mode with no SSO configured offers the built-in providers (OIDC `mock`, atproto `bluesky`), so
    /// the guide's snippet works offline.
    @Test func devModeWithoutConfig_offersTheBuiltInMock() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let status = jsonObject(h.send("GET", "/auth/sso/status").body)
        #expect(status["enabled"] as? Bool == true && status["enforced"] as? Bool == false)
        #expect(status["display_name"] as? String == "Mock SSO (dev)")
        let providers = try #require(status["providers"] as? [[String: Any]])
        #expect(providers.map { $0["name"] as? String } == ["mock", "bluesky"])
        #expect(providers.map { $0["kind"] as? String } == ["oidc", "atproto"])
        #expect(h.send("GET", "/_dev/sso/jwks").status == 200)
        let start = h.post("/auth/sso/start", ["provider": "mock"])
        #expect(start.status == 200, "\(start.body)")
        let unknown = h.post("/auth/sso/start", ["provider": "nope"])
        #expect(unknown.status == 400 && unknown.body.contains("UNKNOWN_SSO_PROVIDER"))
    }

    @Test func mockProvider_signsInAndProvisions() throws {
        let h = try Self.mockHarness()
        defer { h.stop() }
        let status = jsonObject(h.send("GET", "/auth/sso/status").body)
        #expect(status["enabled"] as? Bool == true && status["display_name"] as? String == "Mock SSO (dev)")
        let redirectURI = try #require(status["redirect_uri"] as? String)
        #expect(redirectURI == "http://127.0.0.1:\(h.port)/auth/sso/callback")

        let (code, state, start) = try Self.authorize(h, email: "Sso.User@Example.com", body: ["redirect_to": "/channels/@me", "provider": "oidc"])
        #expect(state.count == 32 && state.allSatisfy(\.isHexDigit))
        let url = try #require(URLComponents(string: start["authorization_url"] as! String))
        let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["response_type"] == "code" && query["client_id"] == MockSSOProvider.clientID && query["code_challenge_method"] == "S256")
        #expect(query["redirect_uri"] == redirectURI && query["scope"] == "openid email profile" && (query["nonce"]?.count ?? 0) >= 43)
        #expect(start["session_url"] as? String == start["authorization_url"] as? String)
        #expect(try h.count("sso_states") == 1)

        let done = h.post("/auth/sso/complete", ["code": code, "state": state])
        #expect(done.status == 200, "\(done.body)")
        let session = jsonObject(done.body)
        #expect(session["redirect_to"] as? String == "/channels/@me")
        let token = try #require(session["token"] as? String)
        let me = jsonObject(h.send("GET", "/users/@me", auth: token).body)
        #expect(me["email"] as? String == "Sso.User@Example.com" && me["verified"] as? Bool == true && me["id"] as? String == session["user_id"] as? String)
        #expect(try h.count("sso_identities") == 1 && h.count("sso_states") == 0)

        // The state was spent: the same pair again is refused and signs nobody in.
        let sessions = try h.count("sessions")
        let again = h.post("/auth/sso/complete", ["code": code, "state": state])
        #expect(again.status == 400 && formItems(again).first?["code"] as? String == "INVALID_SSO_STATE", "\(again.body)")
        #expect(try h.count("sessions") == sessions)

        // Signing in again reaches the same account through the provider's subject.
        let second = try Self.authorize(h, email: "sso.user@example.com")
        let done2 = h.post("/auth/sso/complete", ["code": second.code, "state": second.state])
        #expect(jsonObject(done2.body)["user_id"] as? String == session["user_id"] as? String)
        #expect(jsonObject(done2.body)["redirect_to"] as? String == "/")
        h.running.app.context.audit.flush()
        #expect(try h.count("audit_events", where: "event = 'login.success' AND detail = 'sso'") == 2)
    }

    /// Issue 12 must-fix 3, "SSO signs into existing accounts by email and skips their MFA": an email match alone
    /// never signs in a verified account. Linking is off by default (`SSO_REQUIRED`); on, the answer tells the
    /// client to sign in locally and link (`SSO_LINK_REQUIRED`). Either way no session, no link, and the account
    /// is untouched. (Replaces `existingAccount_isMatchedByVerifiedEmail`, the behaviour this finding removes.)
    @Test func ssoSignsIntoExistingAccountsByEmail_refused() throws {
        #expect(SSOSettings().linkExistingAccounts == false, "linking is off by default")
        for linking in [false, true] {
            let h = try Self.mockHarness { $0.sso.linkExistingAccounts = linking }
            defer { h.stop() }
            let alice = try h.register("alice")
            try h.database.write { db in _ = try db.run("UPDATE users SET verified = TRUE WHERE id = ?", alice.userID) }
            let sessions = try h.count("sessions")
            let (code, state, _) = try Self.authorize(h, email: alice.email)
            let done = h.post("/auth/sso/complete", ["code": code, "state": state])
            #expect(done.status == 403 && jsonObject(done.body)["code"] as? String == (linking ? "SSO_LINK_REQUIRED" : "SSO_REQUIRED"),
                    "linking \(linking): \(done.body)")
            #expect(jsonObject(done.body)["token"] == nil)
            #expect(try h.count("sessions") == sessions && h.count("sso_identities") == 0 && h.count("users") == 1)
            #expect(h.send("GET", "/users/@me", auth: alice.token).status == 200)
            #expect(h.login(alice).status == 200)
        }
    }

    /// `POST /users/@me/sso/link` (sudo), then `/auth/sso/complete` with the same user's session.
    static func link(port: Int, token: String, proof: [String: Any], email: String, amr: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> (code: String, state: String) {
        let started = TestClient.request(port: port, "POST", "/users/@me/sso/link", headers: [("Authorization", token), ("Content-Type", "application/json")],
                                         body: jsonText(proof))
        #expect(started.status == 200, "\(started.body)", sourceLocation: sourceLocation)
        let authorizationURL = try #require(jsonObject(started.body)["authorization_url"] as? String, sourceLocation: sourceLocation)
        let url = try #require(URL(string: authorizationURL), sourceLocation: sourceLocation)
        var target = url.path + "?" + (url.query ?? "") + "&login_hint=" + email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        if let amr { target += "&amr=" + amr }
        let provider = TestClient.request(port: url.port!, "GET", target)
        let locationText = try #require(provider.header("Location"), sourceLocation: sourceLocation)
        let location = try #require(URLComponents(string: locationText), sourceLocation: sourceLocation)
        let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        return (try #require(items["code"], sourceLocation: sourceLocation), try #require(items["state"], sourceLocation: sourceLocation))
    }

    /// Issue 12 must-fix 3: a first link to an existing account needs a local sign-in. The signed-in owner
    /// starts it with sudo; only their own session completes it (a link state handed to someone else, or
    /// completed without a session, is spent and links nothing); then SSO signs in that account.
    @Test func firstLinkToExistingAccount_needsLocalSignIn() throws {
        let h = try Self.mockHarness { $0.sso.linkExistingAccounts = true }
        defer { h.stop() }
        let alice = try h.register("alice")
        let mallory = try h.register("mallory")
        try h.database.write { db in _ = try db.run("UPDATE users SET verified = TRUE") }
        // Not signed in, or no sudo proof: no link can start.
        #expect(h.post("/users/@me/sso/link").status == 401)
        let noSudo = h.post("/users/@me/sso/link", [:], auth: alice.auth)
        #expect(noSudo.status == 403 && jsonObject(noSudo.body)["code"] as? String == "SUDO_MODE_REQUIRED", "\(noSudo.body)")
        let wrongPassword = h.post("/users/@me/sso/link", ["password": "wrong password here"], auth: alice.auth)
        #expect(wrongPassword.status == 400, "\(wrongPassword.body)")
        #expect(try h.count("sso_states") == 0)

        // Mallory starts a link to her own account and gets Alice's client to finish it (with Alice's session,
        // or none): refused, and the state is spent.
        for auth in [nil, alice.auth] as [String?] {
            let again = try Self.link(port: h.port, token: mallory.auth, proof: ["password": mallory.password], email: alice.email)
            let r = h.post("/auth/sso/complete", ["code": again.code, "state": again.state], auth: auth)
            #expect(formItems(r).first?["code"] as? String == "INVALID_SSO_STATE", "\(r.body)")
            #expect(formItems(h.post("/auth/sso/complete", ["code": again.code, "state": again.state], auth: mallory.auth)).first?["code"] as? String
                    == "INVALID_SSO_STATE", "spent")
        }
        #expect(try h.count("sso_identities") == 0)

        // Alice links her own account.
        let mine = try Self.link(port: h.port, token: alice.auth, proof: ["password": alice.password], email: alice.email)
        let linked = h.post("/auth/sso/complete", ["code": mine.code, "state": mine.state], auth: alice.auth)
        #expect(linked.status == 200, "\(linked.body)")
        #expect(jsonObject(linked.body)["linked"] as? Bool == true && jsonObject(linked.body)["user_id"] as? String == alice.id
                && jsonObject(linked.body)["token"] == nil)
        #expect(try h.count("sso_identities", where: "user_id = \(alice.id)") == 1)
        // That provider account cannot be linked to Mallory as well.
        let steal = try Self.link(port: h.port, token: mallory.auth, proof: ["password": mallory.password], email: alice.email)
        let stolen = h.post("/auth/sso/complete", ["code": steal.code, "state": steal.state], auth: mallory.auth)
        #expect(stolen.status == 400 && jsonObject(stolen.body)["code"] as? String == "SSO_IDENTITY_ALREADY_LINKED", "\(stolen.body)")
        // Now single sign-on reaches Alice's account.
        let (code, state, _) = try Self.authorize(h, email: alice.email)
        let done = h.post("/auth/sso/complete", ["code": code, "state": state])
        #expect(done.status == 200 && jsonObject(done.body)["user_id"] as? String == alice.id, "\(done.body)")

        // With linking off, nothing can be linked.
        let off = try Self.mockHarness()
        defer { off.stop() }
        let bob = try off.register("bob")
        let refused = off.post("/users/@me/sso/link", ["password": bob.password], auth: bob.auth)
        #expect(refused.status == 403 && jsonObject(refused.body)["code"] as? String == "SSO_LINKING_DISABLED", "\(refused.body)")
    }

    /// Issue 12 must-fix 3: an account with MFA still passes its second factor after SSO. The completion answers
    /// with the password login's MFA ticket (no session yet), finished through `/auth/login/mfa/*`, unless the
    /// ID token's `amr` shows MFA at the provider (`mfa`, or a possession method with a knowledge or inherence
    /// one) and `sso.trust_provider_mfa` is on.
    @Test func ssoIntoAccountWithMFA_stillNeedsSecondFactor() throws {
        for trust in [true, false] {
            let h = try Self.mockHarness { config in
                config.sso.linkExistingAccounts = true
                config.sso.trustProviderMFA = trust
            }
            defer { h.stop() }
            var alice = try h.register("alice")
            try h.enableTOTP(&alice)
            try h.database.write { db in _ = try db.run("UPDATE users SET verified = TRUE") }
            let mine = try Self.link(port: h.port, token: alice.auth, proof: h.totpProof(alice), email: alice.email)
            #expect(h.post("/auth/sso/complete", ["code": mine.code, "state": mine.state], auth: alice.auth).status == 200)

            func complete(amr: String?) throws -> TestResponse {
                let started = jsonObject(h.post("/auth/sso/start", ["redirect_to": "/channels/@me"]).body)
                let authorizationURL = try #require(started["authorization_url"] as? String)
                let url = try #require(URL(string: authorizationURL))
                var target = url.path + "?" + (url.query ?? "") + "&login_hint=alice%40example.com"
                if let amr { target += "&amr=" + amr }
                let locationText = try #require(TestClient.request(port: h.port, "GET", target).header("Location"))
                let location = try #require(URLComponents(string: locationText))
                let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
                return h.post("/auth/sso/complete", ["code": items["code"] ?? "", "state": items["state"] ?? ""])
            }
            for amr in [nil, "pwd", "otp", "hwk", "swk", "pwd,kba", "x-mfa"] as [String?] {
                let sessions = try h.count("sessions")
                let r = try complete(amr: amr)
                let body = jsonObject(r.body)
                #expect(r.status == 200 && body["mfa"] as? Bool == true && body["token"] == nil, "amr \(amr ?? "-"): \(r.body)")
                #expect(body["allowed_methods"] as? [String] == ["totp"] && body["redirect_to"] as? String == "/channels/@me")
                #expect(try h.count("sessions") == sessions, "no session before the second factor")
                // The normal MFA endpoints finish it.
                let ticket = try #require(body["ticket"] as? String)
                #expect(h.loginTOTP(ticket, "000000").status == 400)
                let finished = h.loginTOTP(ticket, h.freshCode(alice))
                #expect(finished.status == 200 && jsonObject(finished.body)["user_id"] as? String == alice.id, "\(finished.body)")
            }
            for amr in ["mfa", "pwd,otp", "hwk,pin", "swk,fpt", "face,sms"] {
                let r = try complete(amr: amr)
                let body = jsonObject(r.body)
                if trust {
                    #expect(r.status == 200 && body["token"] is String && body["mfa"] == nil, "amr \(amr): \(r.body)")
                } else {
                    #expect(r.status == 200 && body["mfa"] as? Bool == true && body["token"] == nil, "amr \(amr) untrusted: \(r.body)")
                }
            }
        }
        #expect(!SSOSettings.amrShowsMFA([]) && !SSOSettings.amrShowsMFA(["otp"]) && !SSOSettings.amrShowsMFA(["pwd", "pin"]))
        #expect(SSOSettings.amrShowsMFA(["mfa"]) && SSOSettings.amrShowsMFA(["otp", "pwd"]) && SSOSettings.amrShowsMFA(["hwk", "pin"]))
    }

    /// Pre-account hijacking: someone registered the address first (unverified) with a password, a session and
    /// a security key. When the provider proves who owns the address, all of that is shut out. (With linking
    /// on: an unverified account has no proven owner, so the provider's verified email is the first proof.)
    @Test func unverifiedSquatter_isShutOutWhenTheOwnerSignsIn() throws {
        let h = try Self.mockHarness { $0.sso.linkExistingAccounts = true }
        defer { h.stop() }
        let squatter = try h.register("victim")
        try h.registerKey(squatter, SoftAuthenticator())
        let app = jsonObject(h.post("/oauth2/applications", ["name": "Squat Bot"], auth: squatter.auth).body)
        let botToken = try #require((app["bot"] as? [String: Any])?["token"] as? String)
        #expect(h.send("GET", "/users/@me", auth: "Bot " + botToken).status == 200)
        let (code, state, _) = try Self.authorize(h, email: squatter.email)
        let done = h.post("/auth/sso/complete", ["code": code, "state": state])
        let owner = jsonObject(done.body)
        #expect(owner["user_id"] as? String == squatter.id, "\(done.body)")
        #expect(h.send("GET", "/users/@me", auth: squatter.token).status == 401, "the squatter's session is gone")
        #expect(h.login(squatter).status == 400, "the squatter's password is gone")
        #expect(try h.count("webauthn_credentials") == 0, "and the squatter's key")
        #expect(h.send("GET", "/users/@me", auth: "Bot " + botToken).status == 401, "and the bot token the squatter saw")
        #expect(try h.count("applications") == 1, "the application itself stays, now the owner's")
        let me = jsonObject(h.send("GET", "/users/@me", auth: owner["token"] as? String).body)
        #expect(me["verified"] as? Bool == true && me["mfa_enabled"] as? Bool == false)
    }

    @Test func refusals_stateCodeAndBodies() throws {
        let h = try Self.mockHarness()
        defer { h.stop() }
        let sessions = try h.count("sessions")
        // Wrong shapes: form errors, nothing changes.
        for body: [String: Any] in [[:], ["code": "x"], ["state": String(repeating: "a", count: 32)], ["code": "", "state": String(repeating: "a", count: 32)]] {
            let r = h.post("/auth/sso/complete", body)
            #expect(r.status == 400 && jsonObject(r.body)["code"] as? String == "INVALID_FORM_BODY", "\(body): \(r.body)")
        }
        for state in [String(repeating: "a", count: 32), "NOT-HEX-NOT-HEX-NOT-HEX-NOT-HEX!", "abc"] {
            let r = h.post("/auth/sso/complete", ["code": "whatever", "state": state])
            #expect(formItems(r).first?["code"] as? String == "INVALID_SSO_STATE", "\(state): \(r.body)")
        }
        // A wrong code spends the state; an expired state is refused.
        let first = try Self.authorize(h, email: "bob@example.com")
        let wrong = h.post("/auth/sso/complete", ["code": "not-the-code", "state": first.state])
        #expect(wrong.status == 400 && jsonObject(wrong.body)["code"] as? String == "SSO_AUTHENTICATION_FAILED", "\(wrong.body)")
        #expect(formItems(h.post("/auth/sso/complete", ["code": first.code, "state": first.state])).first?["code"] as? String == "INVALID_SSO_STATE")
        let late = try Self.authorize(h, email: "bob@example.com")
        h.clock.advance(milliseconds: SSOService.stateLifetime)
        #expect(formItems(h.post("/auth/sso/complete", ["code": late.code, "state": late.state])).first?["code"] as? String == "INVALID_SSO_STATE")
        #expect(try h.count("sessions") == sessions)
        // Unknown provider name.
        let unknown = h.post("/auth/sso/start", ["provider": "bluesky"])
        #expect(formItems(unknown).first?["code"] as? String == "UNKNOWN_SSO_PROVIDER", "\(unknown.body)")
        // Sign-ins are started without authentication: one client address may have 20 pending, then 429.
        let pending = try h.count("sso_states")
        for _ in pending..<SSOService.maxPendingStatesPerClient { #expect(h.post("/auth/sso/start").status == 200) }
        let capped = h.post("/auth/sso/start")
        #expect(capped.status == 429 && capped.header("Retry-After") != nil, "\(capped.body)")
        #expect(try h.count("sso_states") == SSOService.maxPendingStatesPerClient)
    }

    /// The provider's token endpoint (over HTTP) checks everything the code was bound to.
    @Test func mockTokenEndpoint_checksCodeBinding() throws {
        let h = try Self.mockHarness()
        defer { h.stop() }
        let verifier = Base64URL.encode(SecureRandom.bytes(32))
        let challenge = Base64URL.encode(SHA256.hash(utf8: verifier))
        func code() -> String {
            let r = h.send("GET", "/_dev/sso/authorize?response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&state=s&nonce=n&code_challenge=\(challenge)&code_challenge_method=S256&login_hint=a%40example.com")
            return URLComponents(string: r.header("Location") ?? "")?.queryItems?.first { $0.name == "code" }?.value ?? ""
        }
        func exchange(_ fields: [(String, String)]) -> TestResponse {
            let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
            return TestClient.request(port: h.port, "POST", "/_dev/sso/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
        }
        let base: [(String, String)] = [("grant_type", "authorization_code"), ("redirect_uri", "https://app.example/cb"), ("client_id", "c1")]
        for (label, fields) in [("wrong verifier", [("code_verifier", Base64URL.encode(SecureRandom.bytes(32)))]),
                                ("other client", [("code_verifier", verifier), ("client_id", "c2")]),
                                ("other redirect", [("code_verifier", verifier), ("redirect_uri", "https://evil.example/cb")])] {
            var all = base.filter { name, _ in !fields.contains { $0.0 == name } } + fields
            all.append(("code", code()))
            #expect(jsonObject(exchange(all).body)["error"] as? String == "invalid_grant", "\(label)")
        }
        let good = code()
        let ok = exchange(base + [("code", good), ("code_verifier", verifier)])
        #expect(ok.status == 200 && jsonObject(ok.body)["id_token"] is String, "\(ok.body)")
        #expect(jsonObject(exchange(base + [("code", good), ("code_verifier", verifier)]).body)["error"] as? String == "invalid_grant", "single use")
        // The authorize step refuses requests without PKCE or openid.
        #expect(h.send("GET", "/_dev/sso/authorize?response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid").status == 400)
    }

    @Test func provisioningAndDomains_followTheConfig() throws {
        let closed = try Self.mockHarness { $0.sso.autoProvision = false }
        defer { closed.stop() }
        let (code, state, _) = try Self.authorize(closed, email: "new@example.com")
        let refused = closed.post("/auth/sso/complete", ["code": code, "state": state])
        #expect(refused.status == 403 && jsonObject(refused.body)["code"] as? String == "SSO_REQUIRED", "\(refused.body)")
        #expect(try closed.count("users") == 0)

        let domains = try Self.mockHarness { $0.sso.allowedDomains = ["corp.example"] }
        defer { domains.stop() }
        let outsider = try Self.authorize(domains, email: "eve@example.com")
        #expect(domains.post("/auth/sso/complete", ["code": outsider.code, "state": outsider.state]).status == 403)
        let insider = try Self.authorize(domains, email: "ann@CORP.example")
        #expect(domains.post("/auth/sso/complete", ["code": insider.code, "state": insider.state]).status == 200)
    }

    @Test func enforced_refusesLocalSignIn() throws {
        let h = try Self.mockHarness { $0.sso.enforced = true }
        defer { h.stop() }
        #expect(jsonObject(h.send("GET", "/auth/sso/status").body)["enforced"] as? Bool == true)
        for (path, body) in [("/auth/login", ["email": "a@example.com", "password": "correct horse battery"]),
                             ("/auth/register", ["email": "a@example.com", "username": "a", "password": "correct horse battery"]),
                             ("/auth/forgot", ["email": "a@example.com"]), ("/auth/reset", ["token": "x", "password": "correct horse battery"]),
                             ("/auth/webauthn/authentication-options", [:])] as [(String, [String: Any])] {
            let r = h.post(path, body)
            #expect(r.status == 403 && jsonObject(r.body)["code"] as? String == "SSO_REQUIRED", "\(path): \(r.body)")
        }
        let (code, state, _) = try Self.authorize(h, email: "a@example.com")
        #expect(h.post("/auth/sso/complete", ["code": code, "state": state]).status == 200)
    }

    /// An SSO-only account has no password: a session opened by SSO counts for sudo for 10 minutes, then the
    /// person must sign in again.
    @Test func ssoOnlyAccount_sudoNeedsAFreshSignIn() throws {
        let h = try Self.mockHarness()
        defer { h.stop() }
        let (code, state, _) = try Self.authorize(h, email: "carol@example.com")
        let token = try #require(jsonObject(h.post("/auth/sso/complete", ["code": code, "state": state]).body)["token"] as? String)
        #expect(h.post("/auth/sessions/logout", ["session_id_hashes": [String]()], auth: token).status == 204)
        h.clock.advance(milliseconds: 10 * 60_000 + 1)
        let stale = h.post("/auth/sessions/logout", ["session_id_hashes": [String]()], auth: token)
        #expect(stale.status == 403 && jsonObject(stale.body)["code"] as? String == "SUDO_MODE_REQUIRED" && jsonObject(stale.body)["sso"] as? Bool == true,
                "\(stale.body)")
    }

    /// The relying party against a provider it reaches over HTTP: a second server (dev mode) is the provider;
    /// Issue 14: named providers beside the flat one, each signing in through its own issuer; the sign-in finishes
    /// with the provider that started it (the state remembers it), and identities of one provider never reach
    /// an account through another.
    @Test func namedProviders_eachSignsInThroughItsOwnIssuer() throws {
        let upstream = try MFAHarness()
        defer { upstream.stop() }
        let issuer = "http://127.0.0.1:\(upstream.port)/_dev/sso"
        let h = try MFAHarness { config in
            var corp = SSOSettings()
            corp.enabled = true
            corp.provider = "corp"
            corp.displayName = "Corp SSO"
            corp.issuer = issuer
            corp.clientID = "fluxer-test-client"
            var mock = SSOSettings()
            mock.enabled = true
            mock.provider = "local"
            mock.issuer = "mock"
            config.ssoProviders = [.oidc(corp), .oidc(mock)]
        }
        defer { h.stop() }
        let status = jsonObject(h.send("GET", "/auth/sso/status").body)
        let listed = try #require(status["providers"] as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == ["corp", "local"])
        #expect(listed.map { $0["display_name"] as? String } == ["Corp SSO", "Mock SSO (dev)"])
        #expect(status["display_name"] is NSNull, "two named providers and no flat one: no default")

        // No provider named and no default: refused, nothing stored.
        let unnamed = h.post("/auth/sso/start")
        #expect(unnamed.status == 400 && unnamed.body.contains("UNKNOWN_SSO_PROVIDER"))
        let pending = try h.running.app.context.database.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM sso_states")?.int("n") }
        #expect(pending == 0)

        let (code, state, start) = try Self.authorize(h, email: "erin@corp.example", port: upstream.port, body: ["provider": "corp"])
        #expect((start["authorization_url"] as? String)?.hasPrefix(issuer + "/authorize?") == true)
        let done = h.post("/auth/sso/complete", ["code": code, "state": state])
        #expect(done.status == 200, "\(done.body)")
        let viaCorp = try #require(jsonObject(done.body)["user_id"] as? String)

        let (code2, state2, start2) = try Self.authorize(h, email: "erin@corp.example", body: ["provider": "local"])
        #expect((start2["authorization_url"] as? String)?.contains("/_dev/sso/authorize?") == true)
        let other = h.post("/auth/sso/complete", ["code": code2, "state": state2])
        // The in-process mock is another issuer: its subject is not corp's, and the verified email is taken.
        #expect(other.status == 403, "\(other.body)")
        let identities = try h.running.app.context.database.read { db in
            try db.query("SELECT provider, user_id FROM sso_identities").map { ($0.string("provider") ?? "", $0.int("user_id") ?? 0) }
        }
        #expect(identities.map(\.0) == ["corp"] && identities.map { String($0.1) } == [viaCorp])
    }

    /// discovery, the token exchange and the JWKS all travel over sockets.
    @Test func externalProvider_overHTTP() throws {
        let provider = try MFAHarness()
        defer { provider.stop() }
        let issuer = "http://127.0.0.1:\(provider.port)/_dev/sso"
        let h = try MFAHarness { config in
            config.sso.enabled = true
            config.sso.issuer = issuer
            config.sso.clientID = "fluxer-test-client"
            config.sso.displayName = "Corp"
        }
        defer { h.stop() }
        let (code, state, start) = try Self.authorize(h, email: "dan@corp.example", port: provider.port)
        #expect((start["authorization_url"] as? String)?.hasPrefix(issuer + "/authorize?") == true)
        let done = h.post("/auth/sso/complete", ["code": code, "state": state])
        #expect(done.status == 200, "\(done.body)")
        let me = jsonObject(h.send("GET", "/users/@me", auth: jsonObject(done.body)["token"] as? String).body)
        #expect(me["email"] as? String == "dan@corp.example")
    }

    /// The OAuth2 authorize page offers "Continue with …": the browser goes to the provider, comes back to
    /// /auth/sso/callback with its binding cookie, and lands on the consent page signed in. A callback reached
    /// without that cookie (a code and state sent to someone else's browser: login CSRF) signs nobody in.
    @Test func authorizePage_continueWithSSO() throws {
        let h = try OAuthHarness { config in
            config.sso.enabled = true
            config.sso.issuer = "mock"
            config.sso.linkExistingAccounts = true
        }
        defer { h.stop() }
        let alice = h.user("alice")
        // Alice links her provider account while signed in (issue 12: a first link needs a local sign-in).
        let linking = try Self.link(port: h.port, token: alice.token, proof: ["password": alice.password], email: "alice@example.com")
        #expect(h.request("POST", "/auth/sso/complete", headers: [("Content-Type", "application/json"), ("Authorization", alice.token)],
                          body: jsonText(["code": linking.code, "state": linking.state])).status == 200)
        let (_, client) = h.confidentialApp(owner: alice)
        let browser = OAuthBrowserFlowTests.Browser(h: h)
        let login = browser.get(authorizePath(OAuthBrowserFlowTests.pairs(client.id)))
        #expect(login.status == 200 && login.body.contains("Continue with Mock SSO (dev)"), "\(login.body)")
        #expect(login.header("Content-Security-Policy")?.contains("form-action 'self' http://127.0.0.1:\(h.port)") == true)
        let ssoForm = String(login.body[login.body.range(of: "action=\"/oauth2/authorize/sso\"")!.lowerBound...])
        let fields = hiddenInputs(String(ssoForm[..<ssoForm.range(of: "</form>")!.lowerBound]))

        func signInThroughProvider() throws -> (callback: String, fields: [(String, String)]) {
            let posted = browser.post("/oauth2/authorize/sso", fields, origin: h.issuer)
            #expect(posted.status == 303, "\(posted.body)")
            #expect(setCookies(posted).contains { $0.hasPrefix("fluxer_sso=") && $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
            let providerLocation = try #require(posted.header("Location"))
            let providerURL = try #require(URLComponents(string: providerLocation))
            #expect(providerURL.path == "/_dev/sso/authorize")
            let answer = h.request("GET", providerURL.path + "?" + (providerURL.percentEncodedQuery ?? "") + "&login_hint=alice%40example.com")
            let callbackLocation = try #require(answer.header("Location"))
            let callback = try #require(URLComponents(string: callbackLocation))
            #expect(callback.path == "/auth/sso/callback")
            return (callback.path + "?" + (callback.percentEncodedQuery ?? ""), fields)
        }

        // Login CSRF: the callback in a browser that did not start the sign-in.
        let stolen = try signInThroughProvider()
        let victim = OAuthBrowserFlowTests.Browser(h: h)
        let refused = victim.get(stolen.callback)
        // Refused (the sign-in is this other browser's); nothing is signed in, and the API cannot finish a browser's sign-in.
        #expect(refused.status == 400 && !setCookies(refused).contains { $0.hasPrefix("fluxer_session=") }, "\(refused.status) \(refused.body)")
        let query = Dictionary(uniqueKeysWithValues: (URLComponents(string: stolen.callback)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        let viaAPI = h.request("POST", "/auth/sso/complete", headers: [("Content-Type", "application/json")],
                               body: jsonText(["code": query["code"] ?? "", "state": query["state"] ?? ""]))
        #expect(formItems(viaAPI).first?["code"] as? String == "INVALID_SSO_STATE", "\(viaAPI.body)")
        // A binding cookie that is not the one set for this sign-in is refused too.
        let another = try signInThroughProvider()
        victim.jar.store(TestResponse(status: 200, headers: [("Set-Cookie", "fluxer_sso=" + Base64URL.encode(SecureRandom.bytes(32)))], body: ""))
        let wrongBinding = victim.get(another.callback)
        #expect(wrongBinding.status == 400 && !setCookies(wrongBinding).contains { $0.hasPrefix("fluxer_session=") && !$0.hasPrefix("fluxer_session=;") })

        // The real thing.
        let mine = try signInThroughProvider()
        let back = browser.get(mine.callback)
        #expect(back.status == 303, "\(back.body)")
        let location = try #require(back.header("Location"))
        #expect(location.hasPrefix("/oauth2/authorize?") && browser.jar["fluxer_session"] != nil)
        let consent = browser.get(location)
        #expect(consent.status == 200 && consent.body.contains("/oauth2/authorize/decision"), "\(consent.body)")
        // Alice's own account, reached through the link.
        let me = jsonObject(h.get("/users/@me", auth: browser.jar["fluxer_session"]).body)
        #expect(me["id"] as? String == alice.id)
    }

    /// Issue 12 must-fix 3 on the authorize page: a browser that comes back from the provider for an account
    /// with MFA gets the page's two-factor step (no session cookie yet), and only the right code signs it in.
    @Test func authorizePage_ssoIntoAccountWithMFA_showsTheSecondFactorStep() throws {
        let h = try OAuthHarness { config in
            config.sso.enabled = true
            config.sso.issuer = "mock"
            config.sso.linkExistingAccounts = true
        }
        defer { h.stop() }
        let alice = h.user("alice")
        let secret = TOTP.generateSecret()
        func code() -> String {
            h.clock.advance(milliseconds: 30_000)
            return TOTP.code(secret: secret, counter: UInt64(h.clock.now / 1000 / 30))
        }
        let enabled = h.request("POST", "/users/@me/mfa/totp/enable", headers: [("Content-Type", "application/json"), ("Authorization", alice.token)],
                                body: jsonText(["secret": Base32.encode(secret), "code": code(), "password": alice.password]))
        #expect(enabled.status == 200, "\(enabled.body)")
        let linking = try Self.link(port: h.port, token: alice.token, proof: ["mfa_method": "totp", "mfa_code": code()], email: "alice@example.com")
        #expect(h.request("POST", "/auth/sso/complete", headers: [("Content-Type", "application/json"), ("Authorization", alice.token)],
                          body: jsonText(["code": linking.code, "state": linking.state])).status == 200)

        let (_, client) = h.confidentialApp(owner: alice)
        let browser = OAuthBrowserFlowTests.Browser(h: h)
        let login = browser.get(authorizePath(OAuthBrowserFlowTests.pairs(client.id)))
        let ssoForm = String(login.body[login.body.range(of: "action=\"/oauth2/authorize/sso\"")!.lowerBound...])
        let posted = browser.post("/oauth2/authorize/sso", hiddenInputs(String(ssoForm[..<ssoForm.range(of: "</form>")!.lowerBound])), origin: h.issuer)
        let providerLocation = try #require(posted.header("Location"))
        let providerURL = try #require(URLComponents(string: providerLocation))
        let answer = h.request("GET", providerURL.path + "?" + (providerURL.percentEncodedQuery ?? "") + "&login_hint=alice%40example.com")
        let callbackLocation = try #require(answer.header("Location"))
        let callback = try #require(URLComponents(string: callbackLocation))
        let sessions = try h.running.app.context.database.read { try $0.queryOne("SELECT count(*) AS n FROM sessions")?.int("n") ?? -1 }
        let step = browser.get(callback.path + "?" + (callback.percentEncodedQuery ?? ""))
        #expect(step.status == 200 && step.body.contains("Two-factor authentication") && step.body.contains("action=\"/oauth2/authorize/mfa\""),
                "\(step.status) \(step.body)")
        #expect(!setCookies(step).contains { $0.hasPrefix("fluxer_session=") && !$0.hasPrefix("fluxer_session=;") })
        #expect(try h.running.app.context.database.read { try $0.queryOne("SELECT count(*) AS n FROM sessions")?.int("n") ?? -1 } == sessions)
        let fields = hiddenInputs(step.body)
        let wrong = browser.post("/oauth2/authorize/mfa", fields + [("code", "000000")], origin: h.issuer)
        #expect(wrong.status == 400 && browser.jar["fluxer_session"] == nil, "\(wrong.status)")
        let right = browser.post("/oauth2/authorize/mfa", fields + [("code", code())], origin: h.issuer)
        #expect(right.status == 303 && right.header("Location")?.hasPrefix("/oauth2/authorize?") == true, "\(right.status) \(right.body)")
        #expect(jsonObject(h.get("/users/@me", auth: browser.jar["fluxer_session"]).body)["id"] as? String == alice.id)
    }

    /// With SSO enforced the authorize page offers only SSO.
    @Test func authorizePage_enforcedOffersOnlySSO() throws {
        let h = try OAuthHarness { config in
            config.sso.enabled = true
            config.sso.issuer = "mock"
            config.sso.enforced = true
        }
        defer { h.stop() }
        // Registration is refused when SSO is enforced: the owner comes from the CLI, as an operator would.
        _ = try UserCommands.create(config: h.config, email: "owner@example.com", username: "owner", password: "correct horse battery", verified: true)
        let minted = jsonObject(try UserCommands.token(config: h.config, email: "owner@example.com"))
        let owner = TestUser(id: minted["user_id"] as? String ?? "", token: try #require(minted["token"] as? String), password: "")
        let (_, client) = h.confidentialApp(owner: owner)
        let login = OAuthBrowserFlowTests.Browser(h: h).get(authorizePath(OAuthBrowserFlowTests.pairs(client.id)))
        #expect(login.body.contains("/oauth2/authorize/sso") && !login.body.contains("/oauth2/authorize/login"))
    }

    // MARK: - ID token checks (OIDC Core §3.1.3.7, RFC 8725)

    @Test func idTokenChecks() throws {
        let clock = TestClock()
        let mock = MockSSOProvider(base: { "http://idp.test" }, clock: { clock.now })
        var settings = SSOSettings()
        settings.enabled = true
        settings.issuer = "mock"
        settings.clientID = "client-1"
        let client = OIDCClient(settings: settings, transport: InProcessOIDCTransport(mock: mock), mockIssuer: { mock.issuer })
        let endpoints = try client.endpoints(now: clock.now)
        #expect(endpoints.token == "http://idp.test/_dev/sso/token")
        let now = clock.now / 1000
        func claims(_ changes: [String: Any?] = [:]) -> String {
            var c: [String: Any] = ["iss": mock.issuer, "sub": "user-1", "aud": "client-1", "iat": now, "exp": now + 300, "nonce": "n-1",
                                    "email": "x@example.com", "email_verified": true]
            for (k, v) in changes { c[k] = v ?? nil }
            for (k, v) in changes where v == nil { c.removeValue(forKey: k) }
            return String(decoding: try! JSONSerialization.data(withJSONObject: c), as: UTF8.self)
        }
        func check(_ token: String, nonce: String = "n-1") -> String? {
            do { _ = try client.verifyIDToken(token, nonce: nonce, endpoints: endpoints, now: clock.now); return nil } catch { return error.message }
        }
        #expect(check(mock.sign(claims())) == nil)
        #expect(try client.verifyIDToken(mock.sign(claims()), nonce: "n-1", endpoints: endpoints, now: clock.now)
            == OIDCIdentity(issuer: mock.issuer, subject: "user-1", email: "x@example.com", emailVerified: true, name: nil))
        // Values a hostile provider could choose to overflow arithmetic are compared, never added to.
        #expect(check(mock.sign(claims(["exp": Int64.max, "iat": Int64.min]))) == nil)
        let refusals: [(String, String)] = [
            ("wrong nonce", check(mock.sign(claims()), nonce: "n-2") ?? ""),
            ("no nonce", check(mock.sign(claims(["nonce": nil]))) ?? ""),
            ("other issuer", check(mock.sign(claims(["iss": "http://evil.test/_dev/sso"]))) ?? ""),
            ("other audience", check(mock.sign(claims(["aud": "client-2"]))) ?? ""),
            ("several audiences, no azp", check(mock.sign(claims(["aud": ["client-1", "client-2"]]))) ?? ""),
            ("azp of another party", check(mock.sign(claims(["azp": "client-2"]))) ?? ""),
            ("expired", check(mock.sign(claims(["exp": now - 61]))) ?? ""),
            ("issued in the future", check(mock.sign(claims(["iat": now + 120]))) ?? ""),
            ("no subject", check(mock.sign(claims(["sub": nil]))) ?? ""),
            ("tampered payload", {
                let parts = mock.sign(claims()).split(separator: ".").map(String.init)
                return check(parts[0] + "." + Base64URL.encode(Array(claims(["sub": "admin"]).utf8)) + "." + parts[2]) ?? ""
            }()),
            ("alg none", check(Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + Base64URL.encode(Array(claims().utf8)) + ".c2ln") ?? ""),
            ("HS256 keyed with anything", {
                let input = Base64URL.encode(Array(#"{"alg":"HS256","kid":"\#(mock.kid)"}"#.utf8)) + "." + Base64URL.encode(Array(claims().utf8))
                return check(input + "." + Base64URL.encode(HMAC.sha256(key: Array("secret".utf8), message: Array(input.utf8)))) ?? ""
            }()),
            ("signed by another key", check(MockSSOProvider(base: { "http://idp.test" }, clock: { clock.now }).sign(claims())) ?? ""),
            ("not a JWS", check("a.b") ?? ""),
        ]
        for (label, message) in refusals {
            #expect(message.hasPrefix("Single sign-on failed:"), "\(label) was accepted or failed oddly: \(message)")
        }
    }

    @Test func redirectTo_isSanitized() {
        for (input, output) in [("/channels/@me", "/channels/@me"), ("/a?b=c", "/a?b=c"), ("//evil.example", ""), ("/\\evil.example", ""),
                                ("https://evil.example", ""), ("javascript:alert(1)", ""), ("", ""), ("/a b", ""), ("/ü", "")] {
            #expect(SSOService.sanitizedRedirect(input) == output, "\(input)")
        }
        #expect(SSOService.sanitizedRedirect(nil) == "")
        #expect(SSOService.sanitizedRedirect("/" + String(repeating: "a", count: 2048)) == "")
    }

    @Test func joseECDSAConversions_roundTrip() {
        let key = P256SoftKey()
        for _ in 0..<50 {
            let message = SecureRandom.bytes(20)
            let der = key.sign(message)
            let raw = JOSE.ecdsaRaw(fromDER: der)
            #expect(raw?.count == 64)
            #expect(raw.flatMap(JOSE.ecdsaDER(fromRaw:)).map { key.coseKey.verify(signature: $0, message: message) } == true)
        }
        #expect(JOSE.ecdsaDER(fromRaw: [UInt8](repeating: 1, count: 63)) == nil)
        #expect(JOSE.ecdsaRaw(fromDER: [0x30, 0x02, 0x02, 0x00]) == nil)
    }
}

/// `[sso]` configuration: what is required together, and what is refused (exit 2 naming the key).
@Suite struct SSOConfigTests {
    private func key(of flags: [String: String]) -> String? {
        do {
            _ = try ConfigLoader.load(file: nil, environment: [:], flags: flags)
            return nil
        } catch {
            return error.key
        }
    }

    @Test func combinations() throws {
        #expect(key(of: ["sso.enabled": "true"]) == "sso.issuer")
        #expect(key(of: ["sso.enabled": "true", "sso.issuer": "https://login.example.com"]) == "sso.client_id")
        #expect(key(of: ["sso.enabled": "true", "sso.issuer": "https://login.example.com", "sso.client_id": "c"]) == nil)
        #expect(key(of: ["sso.enabled": "true", "sso.issuer": "mock"]) == "sso.issuer", "the mock is dev-only")
        #expect(key(of: ["sso.enabled": "true", "sso.issuer": "mock", "dev": "true"]) == nil)
        #expect(key(of: ["sso.issuer": "ftp://x"]) == "sso.issuer")
        #expect(key(of: ["sso.token_url": "not a url"]) == "sso.token_url")
        #expect(key(of: ["sso.scope": "email profile"]) == "sso.scope")
        #expect(key(of: ["sso.provider": "Has Spaces"]) == "sso.provider")
        #expect(key(of: ["sso.redirect_uri": "javascript:x"]) == "sso.redirect_uri")
        let config = try ConfigLoader.load(file: nil, environment: [:], flags: ["sso.allowed_domains": "Corp.Example"])
        #expect(config.sso.allowedDomains == ["corp.example"])
    }

    /// Issue 12 should-fix "SSO: outside dev mode refuse http:// issuers and discovered endpoints (loopback
    /// aside)": a configured http URL outside dev mode stops the start (exit 2) naming its key; loopback and dev
    /// mode may use http.
    @Test func httpProviderURLsOutsideDevMode_refusedNamingTheKey() throws {
        let base = ["sso.enabled": "true", "sso.client_id": "c", "sso.issuer": "https://login.example.com"]
        #expect(key(of: base.merging(["sso.issuer": "http://login.example.com"]) { $1 }) == "sso.issuer")
        for name in ["sso.authorization_url", "sso.token_url", "sso.jwks_url", "sso.userinfo_url"] {
            #expect(key(of: base.merging([name: "http://login.example.com/x"]) { $1 }) == name, "\(name)")
            #expect(key(of: base.merging([name: "http://login.example.com/x", "dev": "true"]) { $1 }) == nil, "\(name) in dev mode")
        }
        for loopback in ["http://127.0.0.1:8443", "http://127.5.6.7/idp", "http://localhost:9000", "http://[::1]:9000"] {
            #expect(key(of: base.merging(["sso.issuer": loopback]) { $1 }) == nil, "\(loopback)")
        }
        for outside in ["http://127.0.0.1.evil.example", "http://128.0.0.1", "http://localhost.evil.example", "http://0x7f.0.0.1"] {
            #expect(key(of: base.merging(["sso.issuer": outside]) { $1 }) == "sso.issuer", "\(outside)")
        }
        #expect(key(of: base.merging(["sso.issuer": "http://login.example.com", "dev": "true"]) { $1 }) == nil)
        // The whole start refuses it with exit status 2 and the key in the one line.
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.dev = false
        config.sso.enabled = true
        config.sso.clientID = "c"
        config.sso.issuer = "http://login.example.com"
        do {
            try ConfigSchema.validateCombinations(config)
            Issue.record("an http issuer was accepted outside dev mode")
        } catch {
            #expect(error.key == "sso.issuer" && StartupError.config(error).exitCode == 2)
        }
    }
}

/// A provider reached through a fixed table of answers (URL → status and JSON).
private struct TableTransport: OIDCTransport {
    let answers: [String: String]
    func get(_ url: String, headers: [(String, String)]) throws(APIError) -> (status: Int, body: [UInt8]) {
        answers[url].map { (200, Array($0.utf8)) } ?? (404, [])
    }
    func post(_ url: String, headers: [(String, String)], body: [UInt8]) throws(APIError) -> (status: Int, body: [UInt8]) { (404, []) }
}

@Suite struct SSOProviderTransportTests {
    /// Issue 12 should-fix "SSO: outside dev mode refuse http:// … discovered endpoints (loopback aside)": a
    /// discovery document that moves the token exchange or the keys to plain http is refused at run time.
    @Test func discoveredHTTPEndpoints_refusedOutsideDevMode() throws {
        func client(issuer: String, endpoint: String, dev: Bool) -> OIDCClient {
            var settings = SSOSettings()
            settings.enabled = true
            settings.issuer = issuer
            settings.clientID = "c"
            let document = #"{"issuer":"\#(issuer)","authorization_endpoint":"\#(issuer)/authorize","token_endpoint":"\#(endpoint)/token","jwks_uri":"\#(issuer)/jwks"}"#
            return OIDCClient(settings: settings, transport: TableTransport(answers: [issuer + "/.well-known/openid-configuration": document]),
                              allowHTTP: dev)
        }
        func reason(_ c: OIDCClient) -> String? {
            do { _ = try c.endpoints(now: 1); return nil } catch { return error.message }
        }
        #expect(reason(client(issuer: "https://idp.example", endpoint: "http://idp.example", dev: false))?.contains("plain http") == true)
        #expect(reason(client(issuer: "https://idp.example", endpoint: "http://idp.example", dev: true)) == nil)
        #expect(reason(client(issuer: "https://idp.example", endpoint: "https://idp.example", dev: false)) == nil)
        #expect(reason(client(issuer: "http://127.0.0.1:9", endpoint: "http://127.0.0.1:9", dev: false)) == nil, "loopback")
    }

    /// Issue 12 should-fix "SSO: … never echo transport errors to clients": a provider that cannot be reached,
    /// or that refuses the code, gets one generic answer; what went wrong is in the log only.
    @Test func providerTransportErrors_neverEchoedToClients() throws {
        // A port nothing listens on.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let closedPort = Int(UInt16(bigEndian: address.sin_port))
        close(fd)
        let dead = try MFAHarness { config in
            config.sso.enabled = true
            config.sso.issuer = "http://127.0.0.1:\(closedPort)/idp"
            config.sso.clientID = "c"
        }
        defer { dead.stop() }
        let start = dead.post("/auth/sso/start")
        #expect(start.status == 502 && jsonObject(start.body)["code"] as? String == "SSO_PROVIDER_ERROR", "\(start.body)")
        #expect(jsonObject(start.body)["message"] as? String == SSOService.providerError.message, "\(start.body)")
        for leak in ["127.0.0.1", "\(closedPort)", "reach", "refused", "discovery", "HTTP"] {
            #expect(!start.body.contains(leak), "\(leak) in \(start.body)")
        }
        #expect(dead.running.log().contains("could not be reached"), "the detail is logged")

        // A provider that answers, then refuses the code: the client learns nothing of its answer either.
        let h = try SSOTests.mockHarness()
        defer { h.stop() }
        let (_, state, _) = try SSOTests.authorize(h, email: "bob@example.com")
        let wrong = h.post("/auth/sso/complete", ["code": "not-the-code", "state": state])
        #expect(wrong.status == 400 && jsonObject(wrong.body)["code"] as? String == "SSO_AUTHENTICATION_FAILED", "\(wrong.body)")
        #expect(jsonObject(wrong.body)["message"] as? String == SSOService.failed.message && !wrong.body.contains("HTTP"), "\(wrong.body)")
        #expect(h.running.log().contains("refused the code"))
    }
}
