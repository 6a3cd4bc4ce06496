import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import FluxerDomain

/// Bearer tokens on the resource routes: opt-in scopes, userinfo and @me shapes, authorizations, expiry and the
/// query-string ban (§1.6 AT-01..AT-03, fluxer-api §9–§10).
@Suite struct OAuthScopeTests {
    static func setUp() throws -> (OAuthHarness, TestUser, CreatedApp, OAuthClient) {
        let h = try OAuthHarness()
        let alice = h.user("alice")
        let (app, client) = h.confidentialApp(owner: alice)
        return (h, alice, app, client)
    }

    static func expectCode(_ r: TestResponse, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(r.status) \(r.body)", sourceLocation: sourceLocation)
        #expect(errorCode(r) == code, "\(r.body)", sourceLocation: sourceLocation)
    }

    // Routes that did not opt in refuse bearer tokens whatever their scope.
    @Test func bearerOnRoutesThatDidNotOptIn_isAccessDenied() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        let (access, _) = try h.tokens(alice, client: client, scope: "identify email guilds connections")
        let bearer = "Bearer " + access
        Self.expectCode(h.get("/auth/sessions", auth: bearer), 403, "ACCESS_DENIED")
        Self.expectCode(h.get("/oauth2/applications", auth: bearer), 403, "ACCESS_DENIED")
        Self.expectCode(h.get("/oauth2/@me/authorizations", auth: bearer), 403, "ACCESS_DENIED")
        Self.expectCode(h.get("/oauth2/@me/authorizations/\(client.id)", auth: bearer, method: "DELETE"), 403, "ACCESS_DENIED")
        let logout = h.request("POST", "/auth/sessions/logout", headers: [("Authorization", bearer), ("Content-Type", "application/json")],
                               body: jsonText(["session_id_hashes": [idHash(of: alice.token)], "password": alice.password]))
        Self.expectCode(logout, 403, "ACCESS_DENIED")
        let create = h.request("POST", "/oauth2/applications", headers: [("Authorization", bearer), ("Content-Type", "application/json")],
                               body: jsonText(["name": "Sneaky", "redirect_uris": [String]()]))
        Self.expectCode(create, 403, "ACCESS_DENIED")
        let consent = h.request("POST", "/oauth2/authorize/consent", headers: [("Authorization", bearer), ("Content-Type", "application/json")],
                                body: jsonText(["response_type": "code", "client_id": client.id, "redirect_uri": oauthRedirect, "scope": "identify"]))
        Self.expectCode(consent, 403, "ACCESS_DENIED")
        // Alice's session is untouched and the versioned prefixes behave the same.
        #expect(h.get("/auth/sessions", auth: alice.token).status == 200)
        Self.expectCode(h.get("/api/v1/auth/sessions", auth: bearer), 403, "ACCESS_DENIED")
        #expect(try h.count("applications") == 1)
    }

    @Test func usersMe_scopeRules() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        let (guildsOnly, _) = try h.tokens(alice, client: client, scope: "guilds")
        let r = h.get("/users/@me", auth: "Bearer " + guildsOnly)
        Self.expectCode(r, 403, "MISSING_OAUTH_SCOPE")
        #expect(jsonObject(r.body)["required_scope"] as? String == "identify")

        let (identify, _) = try h.tokens(alice, client: client, scope: "identify")
        for _ in 0..<2 { // the second answer comes from the cache
            let me = h.get("/users/@me", auth: "Bearer " + identify)
            #expect(me.status == 200)
            let body = jsonObject(me.body)
            #expect(body["id"] as? String == alice.id)
            #expect(body.keys.contains("email") && body["email"] is NSNull)
        }
        let (withEmail, _) = try h.tokens(alice, client: client, scope: "identify email")
        for _ in 0..<2 {
            let body = jsonObject(h.get("/v1/users/@me", auth: "Bearer " + withEmail).body)
            #expect(body["email"] as? String == "alice@example.com")
        }
        // The guilds-only token still gets refused after the others were cached.
        Self.expectCode(h.get("/users/@me", auth: "Bearer " + guildsOnly), 403, "MISSING_OAUTH_SCOPE")
    }

    @Test func usersMeGuilds_needsGuilds() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        let guild = try h.guild(owner: alice, name: "Alice's Place")
        let (identify, _) = try h.tokens(alice, client: client, scope: "identify")
        let refused = h.get("/users/@me/guilds", auth: "Bearer " + identify)
        Self.expectCode(refused, 403, "MISSING_OAUTH_SCOPE")
        #expect(jsonObject(refused.body)["required_scope"] as? String == "guilds")
        let (guilds, _) = try h.tokens(alice, client: client, scope: "guilds")
        let r = h.get("/users/@me/guilds", auth: "Bearer " + guilds)
        #expect(r.status == 200)
        let list = jsonArray(r.body) as? [[String: Any]] ?? []
        #expect(list.count == 1)
        #expect(list.first?["id"] as? String == String(guild))
        #expect(list.first?["name"] as? String == "Alice's Place")
        #expect(list.first?["owner"] as? Bool == true)
        // Issue 15: every field Fluxer's `GuildResponse` requires.
        let required = ["id", "name", "splash_card_alignment", "owner_id", "system_channel_flags", "afk_timeout", "features",
                        "verification_level", "mfa_level", "nsfw_level", "explicit_content_filter", "default_message_notifications",
                        "disabled_operations"]
        let first = try #require(list.first)
        #expect(required.filter { first[$0] == nil }.isEmpty, "missing: \(required.filter { first[$0] == nil })")
        #expect(first["permissions"] is String && first["features"] is [Any])
    }

    @Test func usersMeConnections_needsConnections() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        let (identify, _) = try h.tokens(alice, client: client, scope: "identify guilds")
        let refused = h.get("/users/@me/connections", auth: "Bearer " + identify)
        Self.expectCode(refused, 403, "MISSING_OAUTH_SCOPE")
        #expect(jsonObject(refused.body)["required_scope"] as? String == "connections")
        let (connections, _) = try h.tokens(alice, client: client, scope: "connections")
        let r = h.get("/users/@me/connections", auth: "Bearer " + connections)
        #expect(r.status == 200 && r.body == "[]")
        // A session sees the same list.
        #expect(h.get("/users/@me/connections", auth: alice.token).body == "[]")
    }

    @Test func userinfo_bearerOnly_andShape() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        // A session token, as bare or as Bearer: 401.
        for auth in [alice.token, "Bearer " + alice.token] {
            let r = h.get("/oauth2/userinfo", auth: auth)
            #expect(r.status == 401, "\(auth.prefix(10))")
        }
        let anonymous = h.get("/oauth2/userinfo")
        #expect(anonymous.status == 401)
        #expect(anonymous.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        let (guildsOnly, _) = try h.tokens(alice, client: client, scope: "guilds")
        Self.expectCode(h.get("/oauth2/userinfo", auth: "Bearer " + guildsOnly), 403, "MISSING_OAUTH_SCOPE")

        let (identify, _) = try h.tokens(alice, client: client, scope: "identify")
        let r = h.get("/oauth2/userinfo", auth: "Bearer " + identify)
        #expect(r.status == 200 && r.header("Cache-Control") == "no-store")
        let body = jsonObject(r.body)
        #expect(Set(body.keys) == ["sub", "id", "username", "discriminator", "avatar", "email", "flags", "global_name", "bot", "system",
                                   "acls", "avatar_color"])
        #expect(body["sub"] as? String == alice.id && body["id"] as? String == alice.id)
        #expect(body["username"] as? String == "alice")
        #expect((body["discriminator"] as? String)?.count == 4)
        #expect(body["email"] is NSNull && body["bot"] as? Bool == false)

        let (withEmail, _) = try h.tokens(alice, client: client, scope: "identify email")
        let e = jsonObject(h.get("/oauth2/userinfo", auth: "Bearer " + withEmail).body)
        #expect(e["email"] as? String == "alice@example.com")
        #expect(e["verified"] is Bool)
    }

    @Test func oauthMe_shape() throws {
        let (h, alice, app, client) = try Self.setUp()
        defer { h.stop() }
        #expect(h.get("/oauth2/@me", auth: alice.token).status == 401)
        let (guildsOnly, _) = try h.tokens(alice, client: client, scope: "guilds")
        let g = jsonObject(h.get("/oauth2/@me", auth: "Bearer " + guildsOnly).body)
        #expect(g["scopes"] as? [String] == ["guilds"])
        #expect(g["user"] == nil)

        let (identify, _) = try h.tokens(alice, client: client, scope: "identify email")
        let r = h.get("/oauth2/@me", auth: "Bearer " + identify)
        #expect(r.status == 200)
        let body = jsonObject(r.body)
        #expect(Set(body.keys) == ["application", "scopes", "expires", "user"])
        let application = try #require(body["application"] as? [String: Any])
        #expect(application["id"] as? String == app.id && application["name"] as? String == "Acme Client")
        #expect(Set(application.keys) == ["id", "name", "icon", "description", "bot_public", "bot_require_code_grant", "flags"])
        #expect(body["scopes"] as? [String] == ["identify", "email"])
        let expires = try #require(body["expires"] as? String)
        #expect(expires == ISO8601.format(milliseconds: h.clock.now + 604_800_000))
        let user = try #require(body["user"] as? [String: Any])
        #expect(user["id"] as? String == alice.id && user["email"] as? String == "alice@example.com")
    }

    @Test func authorizations_listAndDelete() throws {
        let (h, alice, app, client) = try Self.setUp()
        defer { h.stop() }
        let (_, other) = h.confidentialApp(owner: alice, name: "Other Client")
        let first = try h.tokens(alice, client: client, scope: "identify")
        let second = try h.tokens(alice, client: client, scope: "identify email")
        let kept = try h.tokens(alice, client: other, scope: "identify")

        let list = jsonArray(h.get("/oauth2/@me/authorizations", auth: alice.token).body) as? [[String: Any]] ?? []
        #expect(list.count == 2)
        let entry = try #require(list.first { ($0["application"] as? [String: Any])?["id"] as? String == app.id })
        #expect(entry["scopes"] as? [String] == ["identify", "email"])
        #expect(Set((entry["application"] as? [String: Any] ?? [:]).keys) == ["id", "name", "icon", "description", "bot_public"])
        #expect(entry["authorized_at"] is String)

        for token in [first.access, second.access] { #expect(h.meStatus(bearer: token) == 200) }
        let deleted = h.get("/oauth2/@me/authorizations/\(app.id)", auth: alice.token, method: "DELETE")
        #expect(deleted.status == 204)
        for token in [first.access, second.access] {
            #expect(h.meStatus(bearer: token) == 401)
            #expect(!h.isActive(token, client: client))
        }
        for token in [first.refresh, second.refresh] {
            #expect(oauthError(h.refresh(token, client: client)) == "invalid_grant")
        }
        // The other application's grant is untouched, and the list no longer names the app.
        #expect(h.meStatus(bearer: kept.access) == 200)
        let after = jsonArray(h.get("/oauth2/@me/authorizations", auth: alice.token).body) as? [[String: Any]] ?? []
        #expect(after.count == 1)
        #expect((after.first?["application"] as? [String: Any])?["id"] as? String == other.id)
    }

    // AT-03
    @Test func expiredAccessToken_is401() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        let (access, refresh) = try h.tokens(alice, client: client, scope: "identify")
        #expect(h.meStatus(bearer: access) == 200) // cached from here on
        h.clock.advance(milliseconds: 604_800_000 - 1_000)
        #expect(h.meStatus(bearer: access) == 200)
        h.clock.advance(milliseconds: 1_000)
        #expect(h.meStatus(bearer: access) == 401)
        #expect(h.get("/oauth2/userinfo", auth: "Bearer " + access).status == 401)
        #expect(!h.isActive(access, client: client))
        // The refresh token (30 days) still works.
        #expect(h.refresh(refresh, client: client).status == 200)
    }

    // AT-01, AT-02
    @Test func accessTokenInQuery_isNeverAccepted() throws {
        let (h, alice, _, client) = try Self.setUp()
        defer { h.stop() }
        let (access, _) = try h.tokens(alice, client: client, scope: "identify email guilds connections")
        #expect(h.meStatus(bearer: access) == 200)
        for path in ["/users/@me", "/oauth2/userinfo", "/oauth2/@me", "/users/@me/guilds", "/users/@me/connections"] {
            let r = h.get(path + "?access_token=" + access)
            #expect(r.status == 401, "\(path): \(r.status)")
        }
        let form = h.request("GET", "/oauth2/userinfo", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                             body: "access_token=" + access)
        #expect(form.status == 401, "\(form.status) \(form.body)")
        #expect(form.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        // A bad bearer: 401 with the Bearer challenge.
        let bad = h.get("/oauth2/userinfo", auth: "Bearer " + String(repeating: "A", count: 43))
        #expect(bad.status == 401 && bad.header("WWW-Authenticate")?.contains("invalid_token") == true)
    }
}
