import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

/// What happens to outstanding codes and tokens when the user withdraws consent or the application goes away
/// (AT-03 "rejected at once", RFC 7009 §2.1; fluxer-api §9 "Authorizations").
@Suite struct OAuthGrantLifecycleTests {
    /// A code issued before the user deauthorized the app must not yield tokens afterwards.
    @Test func deauthorize_killsOutstandingCodes() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (app, client) = h.confidentialApp(owner: alice)
        let code = try h.code(alice, client: client)
        #expect(h.get("/oauth2/@me/authorizations/\(app.id)", auth: alice.token, method: "DELETE").status == 204)
        let r = h.exchange(code, client: client)
        #expect(r.status == 400 && oauthError(r) == "invalid_grant", "\(r.body)")
        #expect(try h.count("oauth2_tokens") == 0)
        // prompt=none now needs consent again.
        let silent = h.request("GET", authorizePath([("client_id", client.id), ("response_type", "code"), ("scope", "identify"),
                                                     ("redirect_uri", oauthRedirect), ("prompt", "none")]),
                               headers: [("Cookie", "fluxer_session=\(alice.token)")])
        #expect(queryParameters(silent.header("Location") ?? "")["error"] == "consent_required")
    }

    /// Deleting the application ends its users' access tokens at once, cached or not (AT-03).
    @Test func deletingTheApplication_endsCachedAccessTokensAtOnce() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let bob = h.user("bob")
        let (app, client) = h.confidentialApp(owner: alice)
        let (access, _) = try h.tokens(bob, client: client)
        #expect(h.meStatus(bearer: access) == 200) // now cached
        let deleted = h.request("DELETE", "/oauth2/applications/\(app.id)", headers: [("Authorization", alice.token),
                                                                                        ("Content-Type", "application/json")],
                                body: jsonText(["password": alice.password]))
        #expect(deleted.status == 204, "\(deleted.body)")
        #expect(try h.count("oauth2_tokens") == 0)
        #expect(h.meStatus(bearer: access) == 401)
        #expect(h.get("/oauth2/userinfo", auth: "Bearer " + access).status == 401)
    }

    /// The user's other sessions and grants are untouched by one app's deauthorization.
    @Test func deauthorize_unknownApp_is204_andChangesNothing() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let (access, _) = try h.tokens(alice, client: client)
        #expect(h.get("/oauth2/@me/authorizations/1234567890123456789", auth: alice.token, method: "DELETE").status == 204)
        #expect(h.meStatus(bearer: access) == 200)
        #expect(h.get("/oauth2/@me/authorizations/1234567890123456789", method: "DELETE").status == 401)
    }
}
