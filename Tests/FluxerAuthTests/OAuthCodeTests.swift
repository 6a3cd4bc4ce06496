import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import HTTPServer

/// Authorization codes (§1.2 AC-01..AC-05) and PKCE (§1.3 PK-01..PK-06).
@Suite struct OAuthCodeTests {
    static func setUp() throws -> (OAuthHarness, TestUser, OAuthClient) {
        let h = try OAuthHarness()
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        return (h, alice, client)
    }

    static func expectInvalidGrant(_ r: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 400, "\(r.status) \(r.body)", sourceLocation: sourceLocation)
        #expect(oauthError(r) == "invalid_grant", "\(r.body)", sourceLocation: sourceLocation)
        #expect(jsonObject(r.body)["access_token"] == nil, sourceLocation: sourceLocation)
    }

    /// Every token of a grant is dead: introspection, a resource call, and a refresh (AC-01).
    static func expectRevoked(_ h: OAuthHarness, access: String, refresh: String, client: OAuthClient,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(h.introspect(access, client: client).body == #"{"active":false}"#, sourceLocation: sourceLocation)
        #expect(h.meStatus(bearer: access) == 401, sourceLocation: sourceLocation)
        #expect(h.get("/oauth2/userinfo", auth: "Bearer " + access).status == 401, sourceLocation: sourceLocation)
        expectInvalidGrant(h.refresh(refresh, client: client), sourceLocation: sourceLocation)
    }

    // AC-01
    @Test func replay_isInvalidGrant_andRevokesFirstRedemption() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let code = try h.code(alice, client: client)
        let first = h.exchange(code, client: client)
        #expect(first.status == 200)
        let access = try #require(jsonObject(first.body)["access_token"] as? String)
        let refresh = try #require(jsonObject(first.body)["refresh_token"] as? String)
        // The token works (and is now cached in memory) before the replay.
        #expect(h.meStatus(bearer: access) == 200)
        #expect(h.isActive(access, client: client))

        let replay = h.exchange(code, client: client)
        Self.expectInvalidGrant(replay)
        Self.expectRevoked(h, access: access, refresh: refresh, client: client)
        #expect(try h.count("oauth2_families", where: "revoked_at IS NOT NULL AND revoke_reason = 'code_replay'") == 1)
    }

    // AC-02: N parallel redemptions → exactly one 200; the winner's tokens are then revoked as in AC-01.
    @Test func parallelRedemptions_exactlyOneWins() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let code = try h.code(alice, client: client)
        let port = h.port
        let body = formBody([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", oauthRedirect),
                             ("client_id", client.id), ("client_secret", client.secret!)])
        let answers = concurrently(8) { _ in
            TestClient.request(port: port, "POST", "/oauth2/token", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
        }
        let winners = answers.filter { $0.status == 200 }
        #expect(winners.count == 1, "\(answers.map(\.status))")
        #expect(answers.filter { $0.status == 400 && oauthError($0) == "invalid_grant" }.count == 7)
        let winner = try #require(winners.first)
        let access = try #require(jsonObject(winner.body)["access_token"] as? String)
        let refresh = try #require(jsonObject(winner.body)["refresh_token"] as? String)
        Self.expectRevoked(h, access: access, refresh: refresh, client: client)
        #expect(try h.count("oauth2_families") == 1)
    }

    // AC-03: 10 minutes.
    @Test func expiredAfterTenMinutes() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let fresh = try h.code(alice, client: client)
        let stale = try h.code(alice, client: client)
        h.clock.advance(milliseconds: 10 * 60_000 - 1_000)
        #expect(h.exchange(fresh, client: client).status == 200)
        h.clock.advance(milliseconds: 1_000)
        Self.expectInvalidGrant(h.exchange(stale, client: client))
        #expect(try h.count("oauth2_tokens") == 2)
    }

    // AC-04
    @Test func otherClient_isInvalidGrant() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let (_, other) = h.confidentialApp(owner: alice, name: "Other Client")
        let code = try h.code(alice, client: client)
        Self.expectInvalidGrant(h.exchange(code, client: other))
        #expect(try h.count("oauth2_tokens") == 0)
    }

    // AC-05
    @Test func redirectURI_missingOrDifferent_isInvalidGrant() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        Self.expectInvalidGrant(h.exchange(try h.code(alice, client: client), client: client, redirect: nil))
        Self.expectInvalidGrant(h.exchange(try h.code(alice, client: client), client: client, redirect: "https://client.example/cb/"))
        Self.expectInvalidGrant(h.exchange(try h.code(alice, client: client), client: client, redirect: "https://client.example/other"))
        // Not given at authorize (one registered URI): the token request may omit it, or must repeat the registered one.
        let omitted = try h.code(alice, client: client, redirect: nil)
        #expect(h.exchange(omitted, client: client, redirect: nil).status == 200)
        let omitted2 = try h.code(alice, client: client, redirect: nil)
        Self.expectInvalidGrant(h.exchange(omitted2, client: client, redirect: "https://evil.example/cb"))
        #expect(try h.count("oauth2_tokens") == 2)
    }

    @Test func garbageOrMissingCode() throws {
        let (h, _, client) = try Self.setUp()
        defer { h.stop() }
        Self.expectInvalidGrant(h.exchange("not-a-code", client: client))
        Self.expectInvalidGrant(h.exchange(String(repeating: "A", count: 43), client: client))
        let missing = h.token([("grant_type", "authorization_code"), ("redirect_uri", oauthRedirect)], client: client)
        #expect(missing.status == 400 && oauthError(missing) == "invalid_request")
    }

    // MARK: - PKCE

    // PK-07 with the RFC 7636 Appendix B vector.
    @Test func pkceS256_appendixBVector() throws {
        #expect(Base64URL.encode(SHA256.hash(Array(pkceVerifier.utf8))) == pkceChallenge)
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let code = try h.code(alice, client: client, challenge: pkceChallenge)
        let stored = try h.database.read { db in try db.queryOne("SELECT code_challenge FROM oauth2_codes")?.string("code_challenge") }
        #expect(stored == pkceChallenge)
        let r = h.exchange(code, client: client, verifier: pkceVerifier)
        #expect(r.status == 200)
        #expect(isTokenShaped(jsonObject(r.body)["access_token"] as? String))
    }

    // PK-04
    @Test func wrongVerifier_isInvalidGrant_andBurnsTheCode() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let code = try h.code(alice, client: client, challenge: pkceChallenge)
        let wrong = String(pkceVerifier.dropLast()) + "j"
        Self.expectInvalidGrant(h.exchange(code, client: client, verifier: wrong))
        Self.expectInvalidGrant(h.exchange(code, client: client, verifier: pkceVerifier))
        #expect(try h.count("oauth2_tokens") == 0)
    }

    // PK-05
    @Test func missingVerifier_isInvalidGrant() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let code = try h.code(alice, client: client, challenge: pkceChallenge)
        Self.expectInvalidGrant(h.exchange(code, client: client, verifier: nil))
        #expect(try h.count("oauth2_tokens") == 0)
    }

    // PK-06: downgrade.
    @Test func verifierWithoutChallenge_isInvalidGrant() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        let code = try h.code(alice, client: client, challenge: nil)
        Self.expectInvalidGrant(h.exchange(code, client: client, verifier: pkceVerifier))
        #expect(try h.count("oauth2_tokens") == 0)
    }

    // PK-03
    @Test func malformedVerifier_isRefused() throws {
        let (h, alice, client) = try Self.setUp()
        defer { h.stop() }
        for verifier in [String(repeating: "a", count: 42), String(repeating: "a", count: 129), String(pkceVerifier.dropLast()) + "+"] {
            let code = try h.code(alice, client: client, challenge: pkceChallenge)
            let r = h.exchange(code, client: client, verifier: verifier)
            #expect(r.status == 400 && ["invalid_grant", "invalid_request"].contains(oauthError(r)), "\(verifier)")
        }
        #expect(try h.count("oauth2_tokens") == 0)
    }

    // PK-01: a public client authenticates with client_id only and must use PKCE.
    @Test func publicClient_clientIDOnlyWithPKCE() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let client = try h.publicApp(owner: alice)
        let code = try h.code(alice, client: client, challenge: pkceChallenge)
        // A secret it does not have is refused; no client_id at all is refused.
        var withSecret = client
        withSecret.secret = "made-up-secret"
        let r1 = h.exchange(code, client: withSecret, verifier: pkceVerifier)
        #expect(r1.status == 401 && oauthError(r1) == "invalid_client")
        let r2 = h.exchange(code, client: nil, verifier: pkceVerifier)
        #expect(r2.status == 401 && oauthError(r2) == "invalid_client")
        // client_id + verifier.
        let ok = h.exchange(code, client: client, verifier: pkceVerifier)
        #expect(ok.status == 200, "\(ok.body)")
        let body = jsonObject(ok.body)
        let access = try #require(body["access_token"] as? String)
        let refresh = try #require(body["refresh_token"] as? String)
        #expect(h.meStatus(bearer: access) == 200)
        // Refresh and revoke with client_id only.
        let refreshed = h.refresh(refresh, client: client)
        #expect(refreshed.status == 200)
        let newRefresh = try #require(jsonObject(refreshed.body)["refresh_token"] as? String)
        #expect(h.revoke(newRefresh, client: client).status == 204)
        Self.expectInvalidGrant(h.refresh(newRefresh, client: client))
        // Without the verifier, a public client's code is useless.
        let code2 = try h.code(alice, client: client, challenge: pkceChallenge)
        Self.expectInvalidGrant(h.exchange(code2, client: client))
    }
}
