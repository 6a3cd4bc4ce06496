import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

/// Refresh tokens (§1.5 RT-01..RT-05), revocation and introspection (§1.7 RV-01..RV-06).
@Suite struct OAuthRefreshRevokeTests {
    static func setUp(scope: String = "identify") throws -> (OAuthHarness, TestUser, OAuthClient, (access: String, refresh: String)) {
        let h = try OAuthHarness()
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let tokens = try h.tokens(alice, client: client, scope: scope)
        return (h, alice, client, tokens)
    }

    static func pair(_ r: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> (access: String, refresh: String) {
        #expect(r.status == 200, "\(r.status) \(r.body)", sourceLocation: sourceLocation)
        let body = jsonObject(r.body)
        return (try #require(body["access_token"] as? String, sourceLocation: sourceLocation),
                try #require(body["refresh_token"] as? String, sourceLocation: sourceLocation))
    }

    static func expectError(_ r: TestResponse, _ error: String, status: Int = 400, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(r.status) \(r.body)", sourceLocation: sourceLocation)
        #expect(oauthError(r) == error, "\(r.body)", sourceLocation: sourceLocation)
    }

    // RT-01, RT-02
    @Test func rotation_thenReuseOfRotatedToken_revokesWholeFamily() throws {
        let (h, _, client, first) = try Self.setUp()
        defer { h.stop() }
        let r = h.refresh(first.refresh, client: client)
        #expect(r.header("Cache-Control") == "no-store" && r.header("Pragma") == "no-cache")
        let second = try Self.pair(r)
        #expect(second.access != first.access && second.refresh != first.refresh)
        #expect(isTokenShaped(second.access) && isTokenShaped(second.refresh))
        #expect(Set(jsonObject(r.body).keys) == ["access_token", "token_type", "expires_in", "refresh_token", "scope"])
        #expect(h.meStatus(bearer: second.access) == 200)
        // The superseded access token is gone.
        #expect(h.meStatus(bearer: first.access) == 401)

        // The rotated token fails, and takes the newest tokens with it (RT-02).
        Self.expectError(h.refresh(first.refresh, client: client), "invalid_grant")
        #expect(h.meStatus(bearer: second.access) == 401)
        #expect(h.introspect(second.access, client: client).body == #"{"active":false}"#)
        Self.expectError(h.refresh(second.refresh, client: client), "invalid_grant")
        #expect(try h.count("oauth2_tokens") == 0)
        #expect(try h.count("oauth2_families", where: "revoke_reason = 'refresh_reuse'") == 1)
    }

    // RT-01: a chain of rotations keeps working.
    @Test func rotationChain() throws {
        let (h, _, client, first) = try Self.setUp()
        defer { h.stop() }
        var current = first
        for _ in 0..<4 {
            current = try Self.pair(h.refresh(current.refresh, client: client))
            #expect(h.meStatus(bearer: current.access) == 200)
        }
        #expect(try h.count("oauth2_tokens", where: "used_at IS NULL") == 2)
    }

    // RT-05
    @Test func narrowerScopeAllowed_widerIsInvalidScope() throws {
        let (h, _, client, first) = try Self.setUp(scope: "identify email")
        defer { h.stop() }
        // Wider, unknown or admin: invalid_scope, and the refresh token is not consumed by the refused request.
        for scope in ["identify email guilds", "connections", "admin", "nope"] {
            Self.expectError(h.refresh(first.refresh, client: client, scope: scope), "invalid_scope")
        }
        #expect(h.meStatus(bearer: first.access) == 200)
        let narrowed = h.refresh(first.refresh, client: client, scope: "identify")
        let second = try Self.pair(narrowed)
        #expect(jsonObject(narrowed.body)["scope"] as? String == "identify")
        #expect(jsonObject(h.introspect(second.access, client: client).body)["scope"] as? String == "identify")
        let me = jsonObject(h.get("/users/@me", auth: "Bearer " + second.access).body)
        #expect(me["email"] is NSNull)
        // The narrowed grant cannot grow back.
        Self.expectError(h.refresh(second.refresh, client: client, scope: "identify email"), "invalid_scope")
        let third = h.refresh(second.refresh, client: client)
        #expect(third.status == 200 && jsonObject(third.body)["scope"] as? String == "identify")
    }

    // RT-04
    @Test func otherClientsRefreshToken_isInvalidGrant_andStillWorksForItsClient() throws {
        let (h, alice, client, first) = try Self.setUp()
        defer { h.stop() }
        let (_, other) = h.confidentialApp(owner: alice, name: "Other Client")
        Self.expectError(h.refresh(first.refresh, client: other), "invalid_grant")
        Self.expectError(h.refresh(first.refresh, client: other.usingBasic), "invalid_grant")
        #expect(h.meStatus(bearer: first.access) == 200)
        _ = try Self.pair(h.refresh(first.refresh, client: client))
    }

    @Test func accessTokenAsRefreshToken_isInvalidGrant() throws {
        let (h, _, client, first) = try Self.setUp()
        defer { h.stop() }
        Self.expectError(h.refresh(first.access, client: client), "invalid_grant")
        Self.expectError(h.refresh("garbage", client: client), "invalid_grant")
        #expect(h.meStatus(bearer: first.access) == 200)
        _ = try Self.pair(h.refresh(first.refresh, client: client))
    }

    // RT-03 (documented choice, DESIGN "refresh"): parallel use of one refresh token → at most one 200; the
    // others count as reuse, so the family — including the winner's tokens — is revoked.
    @Test func parallelRefreshes_atMostOneWins_thenFamilyRevoked() throws {
        let (h, _, client, first) = try Self.setUp()
        defer { h.stop() }
        let port = h.port
        let body = formBody([("grant_type", "refresh_token"), ("refresh_token", first.refresh), ("client_id", client.id),
                             ("client_secret", client.secret!)])
        let answers = concurrently(6) { _ in
            TestClient.request(port: port, "POST", "/oauth2/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
        }
        let winners = answers.filter { $0.status == 200 }
        #expect(winners.count <= 1, "\(answers.map(\.status))")
        #expect(answers.filter { oauthError($0) == "invalid_grant" }.count == answers.count - winners.count)
        for winner in winners {
            let tokens = try Self.pair(winner)
            #expect(h.meStatus(bearer: tokens.access) == 401)
            Self.expectError(h.refresh(tokens.refresh, client: client), "invalid_grant")
        }
        #expect(try h.count("oauth2_tokens") == 0)
    }

    // RV-06
    @Test func introspect_activeAndInactiveShapes() throws {
        let (h, alice, client, tokens) = try Self.setUp(scope: "identify email")
        defer { h.stop() }
        let r = h.introspect(tokens.access, client: client)
        #expect(r.status == 200 && r.header("Cache-Control") == "no-store")
        let body = jsonObject(r.body)
        #expect(Set(body.keys) == ["active", "client_id", "sub", "scope", "token_type", "exp", "iat"])
        #expect(body["active"] as? Bool == true)
        #expect(body["client_id"] as? String == client.id)
        #expect(body["sub"] as? String == alice.id)
        #expect(body["scope"] as? String == "identify email")
        #expect(body["token_type"] as? String == "Bearer")
        let iat = try #require(body["iat"] as? Int)
        #expect(body["exp"] as? Int == iat + 604_800)
        #expect(Int64(iat) == h.clock.now / 1000)
        // Basic works too.
        #expect(jsonObject(h.introspect(tokens.access, client: client.usingBasic).body)["active"] as? Bool == true)
        // Inactive: exactly {"active":false} for refresh tokens, garbage, unknown and expired tokens.
        for token in [tokens.refresh, "garbage", String(repeating: "A", count: 43)] {
            #expect(h.introspect(token, client: client).body == #"{"active":false}"#)
        }
        h.clock.advance(milliseconds: 604_800_000)
        #expect(h.introspect(tokens.access, client: client).body == #"{"active":false}"#)
        // Unauthenticated: 401 invalid_client.
        let anonymous = h.introspect(tokens.access, client: nil)
        Self.expectError(anonymous, "invalid_client", status: 401)
        var bad = client
        bad.secret = "wrong"
        Self.expectError(h.introspect(tokens.access, client: bad), "invalid_client", status: 401)
    }

    // RV-03
    @Test func revokeUnknownOrGarbage_is204() throws {
        let (h, _, client, tokens) = try Self.setUp()
        defer { h.stop() }
        for token in ["garbage", String(repeating: "A", count: 43), "", tokens.access + "x"] {
            let r = h.revoke(token, client: client)
            if token.isEmpty {
                // An absent token is a malformed request, not an unknown token.
                #expect(r.status == 400 && oauthError(r) == "invalid_request")
            } else {
                #expect(r.status == 204, "\(token): \(r.body)")
                #expect(r.body.isEmpty)
            }
        }
        #expect(h.meStatus(bearer: tokens.access) == 200)
        // Revoking twice: 204 both times.
        #expect(h.revoke(tokens.access, client: client).status == 204)
        #expect(h.revoke(tokens.access, client: client).status == 204)
    }

    // RV-04: a refresh token takes its access tokens with it.
    @Test func revokeRefresh_revokesAccessTokens() throws {
        let (h, _, client, tokens) = try Self.setUp()
        defer { h.stop() }
        #expect(h.meStatus(bearer: tokens.access) == 200)
        let r = h.revoke(tokens.refresh, client: client, hint: "refresh_token")
        #expect(r.status == 204)
        #expect(h.meStatus(bearer: tokens.access) == 401)
        #expect(!h.isActive(tokens.access, client: client))
        Self.expectError(h.refresh(tokens.refresh, client: client), "invalid_grant")
    }

    // RV-04 (decided: revoking an access token leaves the refresh token), RV-05 (a wrong hint still finds it).
    @Test func revokeAccess_leavesRefreshWorking() throws {
        let (h, _, client, tokens) = try Self.setUp()
        defer { h.stop() }
        #expect(h.meStatus(bearer: tokens.access) == 200)
        #expect(h.revoke(tokens.access, client: client.usingBasic, hint: "refresh_token").status == 204)
        #expect(h.meStatus(bearer: tokens.access) == 401)
        #expect(!h.isActive(tokens.access, client: client))
        let next = try Self.pair(h.refresh(tokens.refresh, client: client))
        #expect(h.meStatus(bearer: next.access) == 200)
    }

    // RV-02
    @Test func revokeOtherClientsToken_isRefused_andStaysValid() throws {
        let (h, alice, client, tokens) = try Self.setUp()
        defer { h.stop() }
        let (_, other) = h.confidentialApp(owner: alice, name: "Other Client")
        for token in [tokens.access, tokens.refresh] {
            let r = h.revoke(token, client: other)
            #expect(r.status >= 400 && r.status < 500, "\(r.status)")
            #expect(oauthError(r) == "unauthorized_client")
        }
        #expect(h.meStatus(bearer: tokens.access) == 200)
        #expect(h.isActive(tokens.access, client: client))
        _ = try Self.pair(h.refresh(tokens.refresh, client: client))
    }

    // RV-05
    @Test func badTokenTypeHint_isUnsupportedTokenType() throws {
        let (h, _, client, tokens) = try Self.setUp()
        defer { h.stop() }
        Self.expectError(h.revoke(tokens.access, client: client, hint: "id_token"), "unsupported_token_type")
        #expect(h.meStatus(bearer: tokens.access) == 200)
    }

    // RV-01, TE-10
    @Test func revokeUnauthenticated_is401InvalidClient() throws {
        let (h, _, client, tokens) = try Self.setUp()
        defer { h.stop() }
        Self.expectError(h.revoke(tokens.access, client: nil), "invalid_client", status: 401)
        var missing = client
        missing.secret = nil
        Self.expectError(h.revoke(tokens.access, client: missing), "invalid_client", status: 401)
        var bad = client.usingBasic
        bad.secret = "wrong"
        let r = h.revoke(tokens.access, client: bad)
        Self.expectError(r, "invalid_client", status: 401)
        #expect(r.header("WWW-Authenticate") != nil)
        #expect(h.meStatus(bearer: tokens.access) == 200)
        // Only form bodies.
        let json = h.request("POST", "/oauth2/token/revoke", headers: [("Content-Type", "application/json")],
                             body: jsonText(["token": tokens.access, "client_id": client.id, "client_secret": client.secret!]))
        Self.expectError(json, "invalid_request")
        #expect(h.meStatus(bearer: tokens.access) == 200)
    }

    /// Issue 15: `/oauth2/token`, `/revoke` and `/introspect` also take `multipart/form-data` (the real server's
    /// document); a malformed multipart body is `invalid_request`, and nothing is spent.
    @Test func multipartBodies_areTakenByTheTokenEndpoints() throws {
        let (h, _, client, tokens) = try Self.setUp()
        defer { h.stop() }
        func multipart(_ path: String, _ fields: [(String, String)], boundary: String = "fx-9Zq") -> TestResponse {
            var body = ""
            for (name, value) in fields { body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n" }
            body += "--\(boundary)--\r\n"
            // client_secret_post, as a multipart field like the rest.
            body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n\(client.id)\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n\(client.secret ?? "")\r\n" + body
            return h.request("POST", path, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body)
        }
        let introspected = multipart("/oauth2/introspect", [("token", tokens.access)])
        #expect(introspected.status == 200 && jsonObject(introspected.body)["active"] as? Bool == true, "\(introspected.body)")
        let malformed = h.request("POST", "/oauth2/token", headers: [("Content-Type", "multipart/form-data; boundary=x")],
                                  body: "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nrefresh_token\r\n")
        #expect(malformed.status == 400 && oauthError(malformed) == "invalid_request", "\(malformed.body)")
        let refreshed = multipart("/oauth2/token", [("grant_type", "refresh_token"), ("refresh_token", tokens.refresh)])
        #expect(refreshed.status == 200, "\(refreshed.body)")
        let newRefresh = try #require(jsonObject(refreshed.body)["refresh_token"] as? String)
        let revoked = multipart("/oauth2/token/revoke", [("token", newRefresh), ("token_type_hint", "refresh_token")])
        #expect(revoked.status == 204 && revoked.body.isEmpty)
        let after = multipart("/oauth2/token", [("grant_type", "refresh_token"), ("refresh_token", newRefresh)])
        #expect(after.status == 400 && oauthError(after) == "invalid_grant")
    }
}
