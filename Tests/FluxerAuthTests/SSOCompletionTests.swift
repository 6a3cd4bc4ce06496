import FluxerATProto
import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// Issue 14: SSO as the guide shows it. `/auth/sso/start {provider}` → the provider → our own
/// `GET /auth/sso/callback` → 303 to the web app with a one-time completion code → `POST /auth/sso/complete {code}`.
/// Against the built-in OIDC mock and the built-in AT Protocol network (a strict PLC directory, PDS and
/// authorization server: PAR, DPoP with nonces, PKCE, private_key_jwt), all over the server's own sockets.
@Suite struct SSOCompletionTests {
    /// Follows one redirect chain step: the Location of a 30x.
    static func location(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> URLComponents {
        #expect([302, 303].contains(response.status), "\(response.status) \(response.body)", sourceLocation: sourceLocation)
        let text = try #require(response.header("Location"), sourceLocation: sourceLocation)
        return try #require(URLComponents(string: text), sourceLocation: sourceLocation)
    }

    static func url(_ value: Any?, sourceLocation: SourceLocation = #_sourceLocation) throws -> URLComponents {
        let text = try #require(value as? String, sourceLocation: sourceLocation)
        return try #require(URLComponents(string: text), sourceLocation: sourceLocation)
    }

    static func query(_ url: URLComponents) -> [String: String] {
        Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    static func pathAndQuery(_ url: URLComponents) -> String { url.percentEncodedPath + (url.percentEncodedQuery.map { "?" + $0 } ?? "") }

    static func completionRows(_ h: MFAHarness) throws -> Int64 {
        try h.running.app.context.database.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM sso_completions")?.int("n") ?? -1 }
    }

    static func auditRows(_ h: MFAHarness, _ condition: String) throws -> Int64 {
        try h.running.app.context.database.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM audit_events WHERE " + condition)?.int("n") ?? -1 }
    }

    static func sessions(_ h: MFAHarness) throws -> Int64 {
        try h.running.app.context.database.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM sessions")?.int("n") ?? -1 }
    }

    // MARK: - OIDC (the built-in mock)

    /// The OIDC provider's authorize step for `email`, then our callback: its answer.
    static func oidcToCallback(_ h: MFAHarness, email: String, start body: [String: Any], headers: [(String, String)] = [],
                               cookie: String? = nil) throws -> (callback: TestResponse, state: String) {
        let started = h.post("/auth/sso/start", body, headers: headers)
        #expect(started.status == 200, "\(started.body)")
        let start = jsonObject(started.body)
        let url = try Self.url(start["session_url"])
        let hint = "&login_hint=" + email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let provider = TestClient.request(port: h.port, "GET", pathAndQuery(url) + hint)
        let back = try location(provider)
        #expect(back.path == "/auth/sso/callback")
        let callback = TestClient.request(port: h.port, "GET", pathAndQuery(back), headers: cookie.map { [("Cookie", $0)] } ?? [])
        return (callback, try #require(start["state"] as? String))
    }

    @Test func guideFlow_oidc_callbackRedirectsWithACompletionCode_spentOnce() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let (callback, state) = try Self.oidcToCallback(h, email: "gina@example.com", start: ["provider": "mock", "redirect_to": "/channels/@me"])
        let landing = try Self.location(callback)
        #expect(callback.status == 303 && landing.path == "/channels/@me")
        #expect(landing.host == "127.0.0.1" && landing.port == h.port, "sso.app_url defaults to the public URL")
        let items = Self.query(landing)
        let code = try #require(items["code"])
        #expect(items["state"] == state)
        #expect(code.count == 43, "256 bits, base64url")
        #expect(callback.header("Cache-Control") == "no-store")
        #expect(try Self.completionRows(h) == 1)
        // Hashed at rest: the code itself is nowhere in the table.
        let stored = try h.running.app.context.database.read { db in try db.queryOne("SELECT code_hash FROM sso_completions")?.blob("code_hash") }
        #expect(stored == SHA256.hash(utf8: code))
        #expect(try Self.sessions(h) == 0, "no session before the web app completes")

        let done = h.post("/auth/sso/complete", ["code": code])
        #expect(done.status == 200, "\(done.body)")
        let body = jsonObject(done.body)
        let token = try #require(body["token"] as? String)
        #expect(body["redirect_to"] as? String == "/channels/@me")
        let me = jsonObject(h.send("GET", "/users/@me", auth: token).body)
        #expect(me["email"] as? String == "gina@example.com" && me["id"] as? String == body["user_id"] as? String)

        let again = h.post("/auth/sso/complete", ["code": code])
        #expect(again.status == 400 && again.body.contains("INVALID_SSO_CODE"))
        #expect(try Self.completionRows(h) == 0 && Self.sessions(h) == 1)
    }

    @Test func completionCode_expiresAfter60Seconds_andBadCodesAreRefused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let (callback, _) = try Self.oidcToCallback(h, email: "hal@example.com", start: ["provider": "mock", "redirect_to": "/x"])
        let code = try #require(Self.query(try Self.location(callback))["code"])
        h.clock.advance(milliseconds: 60_001)
        let late = h.post("/auth/sso/complete", ["code": code])
        #expect(late.status == 400 && late.body.contains("INVALID_SSO_CODE"))
        for bad in ["", "x", String(repeating: "A", count: 43), String(repeating: "A", count: 2049), code + "A"] {
            let answer = h.post("/auth/sso/complete", ["code": bad])
            #expect(answer.status == 400, "\(bad.prefix(10)): \(answer.status) \(answer.body)")
        }
        let wrongType = h.post("/auth/sso/complete", ["code": 12345])
        #expect(wrongType.status == 400)
        #expect(try Self.sessions(h) == 0)
    }

    @Test func devMode_withNowhereToGo_showsTheCodeAndTheCurlLine() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let (callback, _) = try Self.oidcToCallback(h, email: "ida@example.com", start: ["provider": "mock"])
        #expect(callback.status == 200 && callback.body.contains("/auth/sso/complete"), "\(callback.status)")
        let code = try #require(callback.body.range(of: #""code": "([A-Za-z0-9_-]{43})""#, options: .regularExpression)
            .map { String(callback.body[$0].dropFirst(9).dropLast()) })
        let done = h.post("/auth/sso/complete", ["code": code])
        #expect(done.status == 200 && jsonObject(done.body)["redirect_to"] as? String == "/", "\(done.body)")
    }

    @Test func appURL_isWhereTheCallbackSendsTheBrowser() throws {
        let h = try MFAHarness { config in config.ssoAppURL = "https://app.example" }
        defer { h.stop() }
        let (callback, _) = try Self.oidcToCallback(h, email: "jo@example.com", start: ["provider": "mock"])
        let landing = try Self.location(callback)
        #expect(landing.scheme == "https" && landing.host == "app.example" && landing.path == "/")
        // An absolute or protocol-relative redirect_to never leaves the app: it becomes "/".
        let (other, _) = try Self.oidcToCallback(h, email: "jo@example.com", start: ["provider": "mock", "redirect_to": "//evil.example/x"])
        let safe = try Self.location(other)
        #expect(safe.host == "app.example" && safe.path == "/")
    }

    /// Login CSRF: a page of this site starting the sign-in gets a cookie; the callback finishes it only in the
    /// browser holding it. Another browser (the victim of a forwarded link) gets a refusal and nothing is kept.
    @Test func sameSiteStart_bindsTheCallbackToThatBrowser() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let started = h.post("/auth/sso/start", ["provider": "mock", "redirect_to": "/a"], headers: [("Sec-Fetch-Site", "same-origin")])
        let setCookie = try #require(started.header("Set-Cookie"))
        #expect(setCookie.hasPrefix("fluxer_sso_cb=") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let url = try Self.url(jsonObject(started.body)["session_url"])
        let provider = TestClient.request(port: h.port, "GET", Self.pathAndQuery(url) + "&login_hint=kim%40example.com")
        let back = Self.pathAndQuery(try Self.location(provider))

        let victim = TestClient.request(port: h.port, "GET", back)
        #expect(victim.status == 400, "\(victim.status)")
        #expect(try Self.completionRows(h) == 0 && Self.sessions(h) == 0)
        #expect(try eventually { try Self.auditRows(h, "detail = 'sso_callback_binding'") == 1 }, "the refusal is audited (written behind)")

        // The real browser, on a fresh sign-in (the first one was spent by the refusal).
        let retry = h.post("/auth/sso/start", ["provider": "mock", "redirect_to": "/a"], headers: [("Sec-Fetch-Site", "same-origin")])
        let retryCookie = String(try #require(retry.header("Set-Cookie")).prefix { $0 != ";" })
        let url2 = try Self.url(jsonObject(retry.body)["session_url"])
        let provider2 = TestClient.request(port: h.port, "GET", Self.pathAndQuery(url2) + "&login_hint=kim%40example.com")
        let mine = TestClient.request(port: h.port, "GET", Self.pathAndQuery(try Self.location(provider2)), headers: [("Cookie", retryCookie)])
        let mineLocation = try Self.location(mine)
        #expect(mine.status == 303 && Self.query(mineLocation)["code"] != nil)
        #expect(mine.headers.contains { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("fluxer_sso_cb=;") }, "the binding cookie is cleared")
        _ = cookie
    }

    @Test func accountWithMFA_completionGivesTheMFATicket() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        // First sign-in provisions the account; TOTP is then turned on for it.
        let (first, _) = try Self.oidcToCallback(h, email: "lee@example.com", start: ["provider": "mock", "redirect_to": "/b"])
        let done = jsonObject(h.post("/auth/sso/complete", ["code": try #require(Self.query(try Self.location(first))["code"])]).body)
        let userText = try #require(done["user_id"] as? String)
        let userID = try #require(UInt64(userText))
        try h.running.app.context.database.write { db in
            try db.run("UPDATE users SET totp_secret = ? WHERE id = ?", Array("sealed".utf8), Int64(bitPattern: userID))
        }
        let (second, _) = try Self.oidcToCallback(h, email: "lee@example.com", start: ["provider": "mock", "redirect_to": "/b"])
        let answer = h.post("/auth/sso/complete", ["code": try #require(Self.query(try Self.location(second))["code"])])
        let body = jsonObject(answer.body)
        #expect(answer.status == 200 && body["mfa"] as? Bool == true && (body["ticket"] as? String)?.count == 64, "\(answer.body)")
        #expect(body["token"] == nil && body["redirect_to"] as? String == "/b")
    }

    // MARK: - Bluesky (the built-in AT Protocol network)

    /// Start with `handle`, approve on the mock's sign-in page as `approveAs`, come back to our callback.
    static func blueskyToCallback(_ h: MFAHarness, handle: String?, approveAs: String, redirectTo: String = "/home") throws -> TestResponse {
        var body: [String: Any] = ["provider": "bluesky", "redirect_to": redirectTo]
        if let handle { body["handle"] = handle }
        let started = h.post("/auth/sso/start", body)
        #expect(started.status == 200, "\(started.body)")
        let url = try Self.url(jsonObject(started.body)["authorization_url"])
        #expect(url.path == "/_dev/atproto/oauth/authorize")
        #expect(Set(Self.query(url).keys) == ["client_id", "request_uri"], "PAR: the URL carries only client_id and request_uri")
        let page = TestClient.request(port: h.port, "GET", Self.pathAndQuery(url))
        #expect(page.status == 200 && page.body.contains("request_uri"))
        let form = "request_uri=" + (Self.query(url)["request_uri"] ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&other_handle=" + approveAs
        let approved = TestClient.request(port: h.port, "POST", "/_dev/atproto/oauth/authorize",
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
        let back = try location(approved)
        #expect(back.path == "/auth/sso/callback" && Self.query(back)["iss"] != nil)
        return TestClient.request(port: h.port, "GET", pathAndQuery(back))
    }

    static func complete(_ h: MFAHarness, _ callback: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let code = try #require(query(try location(callback, sourceLocation: sourceLocation))["code"], sourceLocation: sourceLocation)
        let done = h.post("/auth/sso/complete", ["code": code])
        #expect(done.status == 200, "\(done.body)", sourceLocation: sourceLocation)
        return jsonObject(done.body)
    }

    @Test func bluesky_signsInByDID_provisionsWithoutEmail_andReturnsAfterAHandleChange() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let first = try Self.complete(h, try Self.blueskyToCallback(h, handle: "alice.test", approveAs: "alice.test"))
        let token = try #require(first["token"] as? String)
        let me = jsonObject(h.send("GET", "/users/@me", auth: token).body)
        #expect(me["username"] as? String == "alice" && me["email"] is NSNull, "\(me)")
        #expect(first["redirect_to"] as? String == "/home")
        let identity = try h.running.app.context.database.read { db in
            try db.queryOne("SELECT issuer, subject, provider FROM sso_identities")
        }
        #expect(identity?.string("issuer") == "atproto" && identity?.string("subject")?.hasPrefix("did:plc:") == true)
        #expect(identity?.string("provider") == "bluesky")

        // The same DID under a new handle reaches the same account; identities are never linked by handle.
        let mock = try #require(h.running.app.sso.atprotoMockServer())
        let did = try #require(mock.accounts.first { $0.handle == "alice.test" }?.did)
        mock.changeHandle(did: did, to: "alice2.test")
        let again = try Self.complete(h, try Self.blueskyToCallback(h, handle: "alice2.test", approveAs: "alice2.test"))
        #expect(again["user_id"] as? String == first["user_id"] as? String)
        // Without a handle the sign-in starts from the service (the entryway).
        let viaService = try Self.complete(h, try Self.blueskyToCallback(h, handle: nil, approveAs: "alice2.test"))
        #expect(viaService["user_id"] as? String == first["user_id"] as? String)
        // Someone else taking the old handle gets their own account.
        let bob = try Self.complete(h, try Self.blueskyToCallback(h, handle: "bob.test", approveAs: "bob.test"))
        #expect(bob["user_id"] as? String != first["user_id"] as? String)
    }

    @Test func bluesky_clientMetadataAndJWKS_areServed() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let metadata = TestClient.request(port: h.port, "GET", "/oauth/atproto/client-metadata.json")
        #expect(metadata.status == 200)
        let document = jsonObject(metadata.body)
        #expect(document["client_id"] as? String == "http://127.0.0.1:\(h.port)/oauth/atproto/client-metadata.json")
        #expect(document["dpop_bound_access_tokens"] as? Bool == true)
        #expect(document["token_endpoint_auth_method"] as? String == "private_key_jwt")
        #expect(document["token_endpoint_auth_signing_alg"] as? String == "ES256")
        #expect(document["jwks_uri"] as? String == "http://127.0.0.1:\(h.port)/oauth/atproto/jwks.json")
        #expect((document["redirect_uris"] as? [String]) == ["http://127.0.0.1:\(h.port)/auth/sso/callback"])
        let jwks = jsonObject(TestClient.request(port: h.port, "GET", "/oauth/atproto/jwks.json").body)
        let keys = try #require(jwks["keys"] as? [[String: Any]])
        #expect(keys.count == 1 && keys[0]["kid"] as? String == "atproto-1" && keys[0]["d"] == nil, "the public key only")
        // The key is sealed at rest: no PEM or DER of it in the table in the clear.
        let sealed = try h.running.app.context.database.read { db in
            try db.queryOne("SELECT private_key_sealed FROM atproto_client_keys")?.blob("private_key_sealed")
        }
        #expect(sealed != nil && sealed?.starts(with: [0x30]) == false)
    }

    /// Each refusal of the callback: 400, no session, no completion code, an audit row.
    @Test(arguments: ["iss", "sub_other_did", "token_type"])
    func bluesky_callbackRefusals_createNothing(fault: String) throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let mock = try #require(h.running.app.sso.atprotoMockServer())
        _ = try? h.running.app.sso.atprotoClient(try #require(h.running.app.sso.provider(named: "bluesky")?.atproto))
        let bob = try #require(mock.accounts.first { $0.handle == "bob.test" }?.did)
        mock.updateFaults { faults in
            switch fault {
            case "iss": faults.callbackIssuer = "https://evil.example"
            case "sub_other_did": faults.tokenSubject = bob
            default: faults.tokenType = "Bearer"
            }
        }
        let callback = try Self.blueskyToCallback(h, handle: "alice.test", approveAs: "alice.test")
        #expect(callback.status == 400, "\(fault): \(callback.status) \(callback.body)")
        #expect(try Self.completionRows(h) == 0 && Self.sessions(h) == 0)
        let users = try h.running.app.context.database.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM users")?.int("n") }
        #expect(users == 0)
        #expect(try eventually { try Self.auditRows(h, "detail LIKE 'sso_atproto:%' AND event = 'login.failure'") == 1 })
    }

    /// A token whose `sub` is a DID whose PDS names another authorization server (the mock's "foreign" PDS) is
    /// refused, even with no handle given to compare it with.
    @Test func bluesky_subWhosePDSNamesAnotherIssuer_isRefused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let mock = try #require(h.running.app.sso.atprotoMockServer())
        let carol = mock.createAccount(handle: "carol.test", pds: mock.foreignPDSURL)
        mock.updateFaults { $0.tokenSubject = carol }
        let callback = try Self.blueskyToCallback(h, handle: nil, approveAs: "alice.test")
        #expect(callback.status == 400, "\(callback.status) \(callback.body)")
        #expect(try Self.completionRows(h) == 0 && Self.sessions(h) == 0)
        #expect(try eventually { try Self.auditRows(h, "detail = 'sso_atproto:sub_issuer_mismatch'") == 1 })
    }

    /// An authorization server that keeps asking for a new DPoP nonce gets one retry, then the sign-in fails.
    @Test func bluesky_nonceDemandedTwice_fails() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let mock = try #require(h.running.app.sso.atprotoMockServer())
        mock.updateFaults { $0.alwaysDemandNonce = true }
        let started = h.post("/auth/sso/start", ["provider": "bluesky", "handle": "alice.test"])
        #expect(started.status == 502 && started.body.contains("SSO_PROVIDER_ERROR"), "\(started.body)")
        let pars = mock.requestLog.filter { $0.hasPrefix("POST /oauth/par") }
        #expect(pars.count == 2, "one retry, no more: \(pars)")
    }

    /// The provider's redirect replayed (a second GET of the same callback URL): the state is spent, nothing more
    /// is made.
    @Test func bluesky_replayedCallback_isRefused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let started = h.post("/auth/sso/start", ["provider": "bluesky", "handle": "alice.test", "redirect_to": "/r"])
        let url = try Self.url(jsonObject(started.body)["session_url"])
        let form = "request_uri=" + (Self.query(url)["request_uri"] ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&handle=alice.test"
        let approved = TestClient.request(port: h.port, "POST", "/_dev/atproto/oauth/authorize",
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
        let back = Self.pathAndQuery(try Self.location(approved))
        let first = TestClient.request(port: h.port, "GET", back)
        #expect(first.status == 303)
        let replay = TestClient.request(port: h.port, "GET", back)
        #expect(replay.status == 400, "\(replay.status)")
        #expect(try Self.completionRows(h) == 1, "only the first callback made a completion code")
        // The code itself, sent with the state through the API: the state is spent there too.
        let backItems = Self.query(try #require(URLComponents(string: back)))
        let viaAPI = h.post("/auth/sso/complete", ["code": backItems["code"] ?? "", "state": backItems["state"] ?? "", "iss": backItems["iss"] ?? ""])
        #expect(viaAPI.status == 400 && viaAPI.body.contains("INVALID_SSO_STATE"), "\(viaAPI.body)")
    }

    @Test func bluesky_startRefusals() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let unresolved = h.post("/auth/sso/start", ["provider": "bluesky", "handle": "nobody.invalid"])
        #expect(unresolved.status == 400 && unresolved.body.contains("SSO_HANDLE_NOT_RESOLVED"), "\(unresolved.body)")
        let malformed = h.post("/auth/sso/start", ["provider": "bluesky", "handle": "not a handle"])
        #expect(malformed.status == 400)
        let handleForOIDC = h.post("/auth/sso/start", ["provider": "mock", "handle": "alice.test"])
        #expect(handleForOIDC.status == 400)
        let mock = try #require(h.running.app.sso.atprotoMockServer())
        mock.updateFaults { $0.failingEndpoints[.pushedAuthorization] = 500 }
        let upstream = h.post("/auth/sso/start", ["provider": "bluesky", "handle": "alice.test"])
        #expect(upstream.status == 502 && upstream.body.contains("SSO_PROVIDER_ERROR"), "\(upstream.body)")
        #expect(!upstream.body.contains("500") && !upstream.body.contains("par"), "no upstream detail")
        let pending = try h.running.app.context.database.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM sso_states")?.int("n") }
        #expect(pending == 0)
    }

    /// The guide's snippet, `{provider: 'bluesky'}` then `{code}`, works against dev mode as pasted (the
    /// browser's part played by the test: the mock's sign-in page and our callback).
    @Test func guideSnippet_bluesky() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let started = h.post("/api/v1/auth/sso/start", ["provider": "bluesky"])
        #expect(started.status == 200)
        let sessionURL = try #require(jsonObject(started.body)["session_url"] as? String)
        let url = try #require(URLComponents(string: sessionURL))
        let form = "request_uri=" + (Self.query(url)["request_uri"] ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&handle=alice.test"
        let approved = TestClient.request(port: h.port, "POST", "/_dev/atproto/oauth/authorize",
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
        let callback = TestClient.request(port: h.port, "GET", Self.pathAndQuery(try Self.location(approved)))
        // No redirect_to and no app_url in dev mode: the page shows the code.
        let code = try #require(callback.body.range(of: #""code": "([A-Za-z0-9_-]{43})""#, options: .regularExpression)
            .map { String(callback.body[$0].dropFirst(9).dropLast()) })
        let done = h.post("/api/v1/auth/sso/complete", ["code": code])
        let body = jsonObject(done.body)
        #expect(done.status == 200 && body["token"] is String && body["user_id"] is String, "\(done.body)")
    }
}
