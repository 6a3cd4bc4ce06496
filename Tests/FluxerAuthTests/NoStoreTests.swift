import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// Issue 12 should-fix: "Responses that carry secrets ({token, user_id}, new client secrets, bot tokens,
/// /users/@me) lack Cache-Control: no-store" (AT-06, TE-07). Every kind, over a real socket.
@Suite struct NoStoreTests {
    static func expectNoStore(_ r: TestResponse, _ label: String, status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(label): \(r.status) \(r.body)", sourceLocation: sourceLocation)
        #expect(r.header("Cache-Control") == "no-store", "\(label): \(r.headers)", sourceLocation: sourceLocation)
        #expect(r.headers.filter { $0.0.lowercased() == "cache-control" }.count == 1, "\(label): one policy", sourceLocation: sourceLocation)
    }

    @Test func secretResponses_carryCacheControlNoStore() throws {
        let h = try AccountsHarness { Abuse.relaxedAttemptLimits(&$0) }
        defer { h.stop() }
        // {token, user_id}: registration and login.
        let registered = h.post("/auth/register", AccountsHarness.registrationBody(email: "cache@example.com"))
        Self.expectNoStore(registered, "register")
        let token = try #require(jsonObject(registered)?["token"] as? String)
        Self.expectNoStore(h.login("cache@example.com", AccountsHarness.defaultPassword), "login")

        // /users/@me: the worker path (first use) and the event-loop path (cached).
        Self.expectNoStore(h.me(token), "/users/@me, uncached")
        Self.expectNoStore(h.me(token), "/users/@me, cached")

        // A new application: client secret and bot token.
        let created = h.post("/oauth2/applications", ["name": "Cache"], auth: token)
        Self.expectNoStore(created, "application create")
        let app = try #require(jsonObject(created))
        let id = try #require(app["id"] as? String)
        #expect(app["client_secret"] is String)
        let proof: [String: Any] = ["password": AccountsHarness.defaultPassword]
        let secret = h.post("/oauth2/applications/\(id)/client-secret/reset", proof, auth: token)
        Self.expectNoStore(secret, "client secret reset")
        #expect(jsonObject(secret)?["client_secret"] is String)
        let bot = h.post("/oauth2/applications/\(id)/bot/reset-token", proof, auth: token)
        Self.expectNoStore(bot, "bot token reset")
        #expect(jsonObject(bot)?["token"] is String)

        // A password reset's {token, user_id}.
        #expect(h.post("/auth/forgot", ["email": "cache@example.com"]).status == 204)
        let reset = try h.resetToken(for: "cache@example.com")
        Self.expectNoStore(h.post("/auth/reset", ["token": reset, "password": "another fine password"]), "reset")

        // Errors keep their single no-store.
        Self.expectNoStore(h.me("flx_nonsense"), "401", status: 401)
    }
}
