import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import FluxerDomain

/// `GET /oauth2/authorize`: error pages for untrusted clients and redirect URIs (AZ-01..AZ-05); other errors are
/// redirected once the user has signed in or for prompt=none, and an error page before (AZ-06..AZ-09, PK-01,
/// PK-02, RFC 9700 §4.11.2); state round trip.
@Suite struct OAuthAuthorizeTests {
    static func base(_ client: String, redirect: String? = oauthRedirect, scope: String = "identify", state: String? = "xyz") -> [(String, String)] {
        var pairs = [("client_id", client), ("response_type", "code"), ("scope", scope)]
        if let redirect { pairs.append(("redirect_uri", redirect)) }
        if let state { pairs.append(("state", state)) }
        return pairs
    }

    /// An untrusted request: a 400 HTML page and never a Location header (AZ-01, AZ-05).
    static func expectErrorPage(_ r: TestResponse, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 400, "\(label): \(r.status)", sourceLocation: sourceLocation)
        #expect(r.header("Location") == nil, "\(label) redirected to \(r.header("Location") ?? "")", sourceLocation: sourceLocation)
        #expect(r.header("Content-Type")?.hasPrefix("text/html") == true, "\(label)", sourceLocation: sourceLocation)
        #expect(r.header("X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        #expect(r.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true, sourceLocation: sourceLocation)
    }

    /// A redirected error (AZ-06): 302 to the registered URI with error, error_description, state and iss.
    static func expectRedirectError(_ r: TestResponse, _ h: OAuthHarness, error: String, state: String? = "xyz", to base: String = oauthRedirect,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 302, "\(r.status) \(r.body)", sourceLocation: sourceLocation)
        let location = r.header("Location") ?? ""
        #expect(location.hasPrefix(base + "?"), "\(location)", sourceLocation: sourceLocation)
        let q = queryParameters(location)
        #expect(q["error"] == error, "\(location)", sourceLocation: sourceLocation)
        #expect(q["error_description"]?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(q["state"] == state, sourceLocation: sourceLocation)
        #expect(q["iss"] == h.issuer, sourceLocation: sourceLocation)
        #expect(q["code"] == nil, sourceLocation: sourceLocation)
    }

    /// A signed-in browser's GET (errors are redirected only to those, AZ-06).
    static func signedIn(_ h: OAuthHarness, _ user: TestUser, _ path: String) -> TestResponse {
        h.request("GET", path, headers: [("Cookie", "fluxer_session=\(user.token)")])
    }

    /// "/oauth2/authorize redirects errors before the user has signed in, making it an open redirector for any
    /// registered app" (RFC 9700 §4.11.2, AZ-06, AZ-09): with a valid client and redirect URI, a signed-out browser
    /// gets a 400 page and no Location; once signed in the same error is redirected (RFC 6749 §4.1.2.1); with
    /// prompt=none it is redirected even signed out, as are login_required and consent_required.
    @Test func authorizeRedirectsErrorsBeforeSignIn_errorPageUntilSignedIn_AZ06() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        var badType = Self.base(client.id)
        badType[1] = ("response_type", "token")
        var noType = Self.base(client.id)
        noType.remove(at: 1)
        let cases: [(String, [(String, String)], String)] = [
            ("bad scope", Self.base(client.id, scope: "nope"), "invalid_scope"),
            ("admin scope", Self.base(client.id, scope: "identify admin"), "invalid_scope"),
            ("response_type=token", badType, "unsupported_response_type"),
            ("no response_type", noType, "invalid_request"),
            ("pkce plain", Self.base(client.id) + [("code_challenge", pkceChallenge), ("code_challenge_method", "plain")], "invalid_request"),
            ("repeated scope", Self.base(client.id) + [("scope", "identify")], "invalid_request"),
            ("bad prompt", Self.base(client.id) + [("prompt", "select_account")], "invalid_request"),
        ]
        let deadCookie = [("Cookie", "fluxer_session=flx_" + String(repeating: "0", count: SessionToken.randomLength))]
        for (label, pairs, error) in cases {
            let path = authorizePath(pairs)
            Self.expectErrorPage(h.get(path), "\(label), signed out")
            Self.expectErrorPage(h.request("GET", path, headers: deadCookie), "\(label), unknown session cookie")
            Self.expectErrorPage(h.request("GET", path, headers: [("Cookie", "fluxer_session=\(client.secret!)")]), "\(label), not a session")
            Self.expectRedirectError(Self.signedIn(h, alice, path), h, error: error)
            Self.expectRedirectError(h.get(authorizePath(pairs + [("prompt", "none")])), h, error: error)
        }
        // The page says what was wrong, escaped, and links nowhere.
        let page = h.get(authorizePath(Self.base(client.id, scope: "nope")))
        #expect(page.body.contains("The requested scope is invalid or unknown.") && !page.body.contains(oauthRedirect))
        // prompt=none, signed out, otherwise valid: login_required still goes back to the client.
        Self.expectRedirectError(h.get(authorizePath(Self.base(client.id) + [("prompt", "none")])), h, error: "login_required")
        #expect(try h.count("oauth2_codes") == 0)
    }

    /// The pre-sign-in form posts (password and SSO) carry the same request: an error there is a page too.
    @Test func authorizeRedirectsErrorsBeforeSignIn_loginFormPostShowsPage_AZ06() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let jar = CookieJar()
        let login = h.request("GET", authorizePath(Self.base(client.id)))
        jar.store(login)
        #expect(login.status == 200)
        let fields = hiddenInputs(login.body).map { $0.0 == "scope" ? ($0.0, "nope") : $0 }
        let posted = h.form("/oauth2/authorize/login", fields + [("email", "alice@example.com"), ("password", alice.password)],
                            headers: jar.header + [("Origin", h.issuer)])
        Self.expectErrorPage(posted, "login post with a bad scope")
        #expect(!setCookies(posted).contains { $0.hasPrefix("fluxer_session=") })
    }

    // AZ-05
    @Test func unknownClient_isErrorPage() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        Self.expectErrorPage(h.get(authorizePath(Self.base("1234567890123456789"))), "unknown id")
        Self.expectErrorPage(h.get(authorizePath(Self.base("abc"))), "garbage id")
        Self.expectErrorPage(h.get(authorizePath([("response_type", "code"), ("scope", "identify"), ("redirect_uri", oauthRedirect)])), "no id")
    }

    // AZ-01, AZ-05
    @Test func unregisteredRedirect_isErrorPage() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice, redirectURIs: [oauthRedirect, "https://client.example/other"])
        Self.expectErrorPage(h.get(authorizePath(Self.base(client.id, redirect: "https://evil.example/cb"))), "evil")
        // Missing redirect_uri with several registered (RFC 6749 §3.1.2.3).
        Self.expectErrorPage(h.get(authorizePath(Self.base(client.id, redirect: nil))), "missing")
        // Repeated redirect_uri / client_id: never a redirect.
        Self.expectErrorPage(h.get(authorizePath(Self.base(client.id) + [("redirect_uri", oauthRedirect)])), "repeated redirect_uri")
        Self.expectErrorPage(h.get(authorizePath(Self.base(client.id) + [("client_id", client.id)])), "repeated client_id")
        // Invalid scope does not turn an untrusted redirect into a redirect.
        Self.expectErrorPage(h.get(authorizePath(Self.base(client.id, redirect: "https://evil.example/cb", scope: "nope"))), "evil+scope")
        // The registered one is accepted (login page).
        #expect(h.get(authorizePath(Self.base(client.id))).status == 200)
    }

    // AZ-01, AZ-03: exact string matching; every variant is an error page with no Location.
    @Test func redirectVariants_areRefused() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice, redirectURIs: [oauthRedirect, "https://wiTh-dAsh.example/cb?app=1"])
        let variants = [
            "https://client.example/cb/", "HTTPS://client.example/cb", "https://CLIENT.example/cb", "https://client.EXAMPLE/cb",
            "https://client.example/CB", "https://client.example/Cb", "https://client.example/cb?x=1", "https://client.example/cb?",
            "https://client.example/cb#frag", "https://client.example/cb#", "https://client.example:443/cb", "https://client.example:8443/cb",
            "https://client@client.example/cb", "https://client.example@evil.example/cb", "https://user:pw@client.example/cb",
            "https://client.example/cb/FAKEPATH", "https://client.example/cb%2FFAKEPATH", "https://client.example/cb/..%2FFAKEPATH",
            "https://client.example/cb/%2e%2e%2FFAKEPATH", "https://client.example/cb/..%252F", "https://client.example/cb/;/../../FAKEPATH",
            "https://client.example/cb%0A%0D/../../x", "https://client.example/cb/../cb", "https://client.example/./cb",
            "https://client.example/%63b", "https://client.example.evil/cb", "https://evil.example/cb", "http://client.example/cb",
            "https://client.example/c", "https://client.example/cb2", " https://client.example/cb", "https://client.example/cb ",
            "//client.example/cb", "https:client.example/cb", "https://client.example\\cb",
            "https://with-dash.example/cb?app=1", "https://wiTh-dAsh.example/cb?app=1&x=2", "https://wiTh-dAsh.example/cb?APP=1",
            "https://wiTh-dAsh.example/cb",
        ]
        for variant in variants {
            Self.expectErrorPage(h.get(authorizePath(Self.base(client.id, redirect: variant))), variant)
        }
        // Both registered strings work as given.
        #expect(h.get(authorizePath(Self.base(client.id, redirect: "https://wiTh-dAsh.example/cb?app=1"))).status == 200)
        #expect(h.get(authorizePath(Self.base(client.id))).status == 200)
        #expect(try h.count("oauth2_codes") == 0)
    }

    // AZ-02: loopback port may vary, nothing else.
    @Test func loopbackRedirect_portMayVary() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice, redirectURIs: ["http://127.0.0.1/cb"])
        for ok in ["http://127.0.0.1/cb", "http://127.0.0.1:51234/cb", "http://127.0.0.1:8080/cb"] {
            let r = h.get(authorizePath(Self.base(client.id, redirect: ok)))
            #expect(r.status == 200, "\(ok)")
        }
        for bad in ["http://127.0.0.2/cb", "http://127.0.0.2:51234/cb", "http://127.0.0.1/cb2", "http://127.0.0.1:51234/cb2",
                    "http://localhost/cb", "http://localhost:51234/cb", "http://localhost.evil/cb", "http://127.0.0.1.evil/cb",
                    "http://127.0.0.1:51234.evil/cb", "http://127.0.0.1:/cb", "http://127.0.0.1:0/cb", "http://127.0.0.1:99999/cb",
                    "http://127.0.0.1:51234@evil.example/cb", "https://127.0.0.1:51234/cb", "http://127.0.0.1:51234/cb/",
                    "http://127.0.0.1:51234/cb?x=1"] {
            Self.expectErrorPage(h.get(authorizePath(Self.base(client.id, redirect: bad))), bad)
        }
        // The port-varied URI is the one the code is bound to: the token request repeats it.
        let code = try h.code(alice, client: client, redirect: "http://127.0.0.1:51234/cb")
        #expect(h.exchange(code, client: client, redirect: "http://127.0.0.1/cb").status == 400)
        let code2 = try h.code(alice, client: client, redirect: "http://127.0.0.1:51234/cb")
        #expect(h.exchange(code2, client: client, redirect: "http://127.0.0.1:51234/cb").status == 200)
    }

    // AZ-06, AZ-08
    @Test func responseTypeToken_isUnsupportedResponseType() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        for type in ["token", "id_token token", "code token", "code id_token"] {
            var pairs = Self.base(client.id)
            pairs[1] = ("response_type", type)
            Self.expectRedirectError(Self.signedIn(h, alice, authorizePath(pairs)), h, error: "unsupported_response_type")
        }
        var missing = Self.base(client.id)
        missing.remove(at: 1)
        Self.expectRedirectError(Self.signedIn(h, alice, authorizePath(missing)), h, error: "invalid_request")
    }

    // AZ-06, TE-09
    @Test func unknownScopeAndAdmin_areInvalidScope() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        for scope in ["nope", "admin", "identify admin", "identify openid", "IDENTIFY", "identify,email"] {
            Self.expectRedirectError(Self.signedIn(h, alice, authorizePath(Self.base(client.id, scope: scope))), h, error: "invalid_scope")
        }
    }

    // PK-02, PK-03
    @Test func pkcePlainMissingMethodOrBadChallenge_isInvalidRequest() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let cases: [[(String, String)]] = [
            [("code_challenge", pkceChallenge), ("code_challenge_method", "plain")],
            [("code_challenge", pkceVerifier), ("code_challenge_method", "plain")],
            [("code_challenge", pkceChallenge)],
            [("code_challenge", pkceChallenge), ("code_challenge_method", "s256")],
            [("code_challenge", pkceChallenge), ("code_challenge_method", "S512")],
            [("code_challenge", "short"), ("code_challenge_method", "S256")],
            [("code_challenge", pkceChallenge + "A"), ("code_challenge_method", "S256")],
            [("code_challenge", String(pkceChallenge.dropLast()) + "="), ("code_challenge_method", "S256")],
            [("code_challenge_method", "S256")],
        ]
        for extra in cases {
            Self.expectRedirectError(Self.signedIn(h, alice, authorizePath(Self.base(client.id) + extra)), h, error: "invalid_request")
        }
    }

    // PK-01
    @Test func publicClientWithoutPKCE_isInvalidRequest() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let client = try h.publicApp(owner: alice)
        Self.expectRedirectError(Self.signedIn(h, alice, authorizePath(Self.base(client.id))), h, error: "invalid_request")
        let withPKCE = Self.base(client.id) + [("code_challenge", pkceChallenge), ("code_challenge_method", "S256")]
        #expect(Self.signedIn(h, alice, authorizePath(withPKCE)).status == 200)
        // The JSON consent API applies the same rule.
        let r = h.consent(alice, ["response_type": "code", "client_id": client.id, "redirect_uri": oauthRedirect, "scope": "identify"])
        #expect(r.status == 400 && oauthError(r) == "invalid_request")
        #expect(try h.count("oauth2_codes") == 0)
    }

    @Test func badPermissions_isInvalidRequest() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        for permissions in ["-1", "abc", "1.5", "+8", " 8", "99999999999999999999", "0x10"] {
            let path = authorizePath(Self.base(client.id, scope: "identify bot") + [("permissions", permissions)])
            Self.expectRedirectError(Self.signedIn(h, alice, path), h, error: "invalid_request")
        }
    }

    // AZ-07
    @Test func repeatedState_isInvalidRequest() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let r = Self.signedIn(h, alice, authorizePath(Self.base(client.id, state: "one") + [("state", "two")]))
        #expect(r.status == 302)
        #expect(queryParameters(r.header("Location") ?? "")["error"] == "invalid_request")
        for name in ["scope", "response_type", "code_challenge"] {
            let extra: [(String, String)] = name == "code_challenge"
                ? [("code_challenge", pkceChallenge), ("code_challenge_method", "S256"), ("code_challenge", pkceChallenge)]
                : [(name, name == "scope" ? "identify" : "code")]
            let r = Self.signedIn(h, alice, authorizePath(Self.base(client.id) + extra))
            #expect(r.status == 302 && queryParameters(r.header("Location") ?? "")["error"] == "invalid_request", "\(name)")
        }
    }

    // RFC 6749 §4.1.2: state comes back exactly, through error redirects and codes.
    @Test func stateRoundTrip() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice, redirectURIs: ["https://client.example/cb?tenant=a"])
        let state = "a b&c=d/é?#%20+x"
        let r = Self.signedIn(h, alice, authorizePath([("client_id", client.id), ("response_type", "token"), ("scope", "identify"),
                                                       ("redirect_uri", "https://client.example/cb?tenant=a"), ("state", state)]))
        #expect(r.status == 302)
        let location = r.header("Location") ?? ""
        // The client's own query is kept and ours appended.
        #expect(location.hasPrefix("https://client.example/cb?tenant=a&"))
        #expect(queryParameters(location)["state"] == state)
        let code = try h.code(alice, client: client, redirect: "https://client.example/cb?tenant=a", state: state)
        #expect(isTokenShaped(code))
        // No state: none comes back.
        let noState = Self.signedIn(h, alice, authorizePath(Self.base(client.id, redirect: "https://client.example/cb?tenant=a", scope: "nope",
                                                                      state: nil)))
        #expect(noState.status == 302)
        #expect(queryParameters(noState.header("Location") ?? "")["state"] == nil)
    }

    // AZ-16: no CORS on the authorization endpoint.
    @Test func noCORS_onAuthorizeResponses() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let (_, client) = h.confidentialApp(owner: h.user("alice"))
        let r = h.request("GET", authorizePath(Self.base(client.id)), headers: [("Origin", "https://evil.example")])
        #expect(r.status == 200)
        #expect(r.header("Access-Control-Allow-Origin") == nil)
        let e = h.request("GET", authorizePath(Self.base("1")), headers: [("Origin", "https://evil.example")])
        #expect(e.header("Access-Control-Allow-Origin") == nil)
    }
}
