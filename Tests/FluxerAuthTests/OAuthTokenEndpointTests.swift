import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import HTTPServer
import SQLite

/// `POST /oauth2/token`: request format, client authentication, grant types, the success shape and storage
/// (checklist §1.4 TE-*, AT-04), plus RFC 8414 discovery (AZ-17).
@Suite struct OAuthTokenEndpointTests {
    /// An app with a user, a confidential client and a fresh code.
    static func setUp() throws -> (OAuthHarness, TestUser, OAuthClient, String) {
        let h = try OAuthHarness()
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let code = try h.code(alice, client: client)
        return (h, alice, client, code)
    }

    static func expectOAuthError(_ r: TestResponse, _ status: Int, _ error: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(r.body)", sourceLocation: sourceLocation)
        #expect(oauthError(r) == error, "\(r.body)", sourceLocation: sourceLocation)
        #expect(jsonObject(r.body)["error_description"] is String, sourceLocation: sourceLocation)
        #expect(r.header("Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        #expect(r.header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
    }

    // TE-02
    @Test func nonFormBody_isInvalidRequest_andCodeStillUsable() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        let json = h.request("POST", "/oauth2/token", headers: [("Content-Type", "application/json")], body: jsonText([
            "grant_type": "authorization_code", "code": code, "redirect_uri": oauthRedirect,
            "client_id": client.id, "client_secret": client.secret!,
        ]))
        Self.expectOAuthError(json, 400, "invalid_request")
        let none = h.request("POST", "/oauth2/token", body: formBody([("grant_type", "authorization_code"), ("code", code)]))
        Self.expectOAuthError(none, 400, "invalid_request")
        #expect(h.exchange(code, client: client).status == 200)
    }

    // AZ-07 / RFC 6749 §3.1: parameters must not be repeated.
    @Test func duplicateParameter_isInvalidRequest() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        let r = h.token([("grant_type", "authorization_code"), ("code", code), ("code", code), ("redirect_uri", oauthRedirect)], client: client)
        Self.expectOAuthError(r, 400, "invalid_request")
        let r2 = h.token([("grant_type", "authorization_code"), ("grant_type", "authorization_code"), ("code", code),
                          ("redirect_uri", oauthRedirect)], client: client)
        Self.expectOAuthError(r2, 400, "invalid_request")
    }

    // TE-01
    @Test func get_is405_withAllowPost() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let r = h.get("/oauth2/token?grant_type=authorization_code")
        #expect(r.status == 405)
        #expect(r.header("Allow")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } == ["POST"])
    }

    // TE-03
    @Test func clientSecretInQuery_isRejected() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        let path = "/oauth2/token?" + formBody([("client_id", client.id), ("client_secret", client.secret!)])
        let r = h.request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                          body: formBody([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", oauthRedirect)]))
        #expect(r.status == 400, "\(r.status) \(r.body)")
        #expect(oauthError(r) == "invalid_request")
        #expect(jsonObject(r.body)["access_token"] == nil)
        // Even with proper body credentials, a secret in the URI is refused.
        let r2 = h.request("POST", "/oauth2/token?client_secret=" + client.secret!,
                           headers: [("Content-Type", "application/x-www-form-urlencoded")],
                           body: formBody([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", oauthRedirect),
                                           ("client_id", client.id), ("client_secret", client.secret!)]))
        #expect(r2.status == 400 && oauthError(r2) == "invalid_request", "\(r2.status) \(r2.body)")
        #expect(h.exchange(code, client: client).status == 200)
    }

    // TE-04
    @Test func basicAndBodySecret_isInvalidRequest() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        let r = h.token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", oauthRedirect),
                         ("client_secret", client.secret!)], client: client.usingBasic)
        Self.expectOAuthError(r, 400, "invalid_request")
    }

    // TE-05
    @Test func badSecretWithBasic_is401_withWWWAuthenticate() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        var bad = client.usingBasic
        bad.secret = "wrong-secret-wrong-secret-wrong-secret-wro"
        let r = h.exchange(code, client: bad)
        Self.expectOAuthError(r, 401, "invalid_client")
        #expect(r.header("WWW-Authenticate")?.hasPrefix("Basic realm=") == true)
        // The good secret with Basic works, and the code was not burned by the failed attempt.
        #expect(h.exchange(code, client: client.usingBasic).status == 200)
    }

    // TE-05, TE-10
    @Test func badOrMissingSecretInBody_is401InvalidClient() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        var bad = client
        bad.secret = "nope"
        let wrong = h.exchange(code, client: bad)
        Self.expectOAuthError(wrong, 401, "invalid_client")
        #expect(wrong.header("WWW-Authenticate") == nil)
        var missing = client
        missing.secret = nil
        Self.expectOAuthError(h.exchange(code, client: missing), 401, "invalid_client")
        Self.expectOAuthError(h.exchange(code, client: nil), 401, "invalid_client")
        #expect(h.exchange(code, client: client).status == 200)
    }

    @Test func unknownClient_isInvalidClient() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        var unknown = client
        unknown.id = "1234567890123456789"
        Self.expectOAuthError(h.exchange(code, client: unknown), 401, "invalid_client")
        unknown.id = "not-a-snowflake"
        Self.expectOAuthError(h.exchange(code, client: unknown), 401, "invalid_client")
        Self.expectOAuthError(h.exchange(code, client: unknown.usingBasic), 401, "invalid_client")
    }

    @Test func missingGrantType_isInvalidRequest() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        Self.expectOAuthError(h.token([("code", code), ("redirect_uri", oauthRedirect)], client: client), 400, "invalid_request")
    }

    // AZ-08, TE-08
    @Test(arguments: ["password", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code", "implicit"])
    func otherGrantTypes_areUnsupported(grant: String) throws {
        let (h, alice, client, _) = try Self.setUp()
        defer { h.stop() }
        let r = h.token([("grant_type", grant), ("username", "alice@example.com"), ("password", alice.password), ("scope", "identify")],
                        client: client)
        Self.expectOAuthError(r, 400, "unsupported_grant_type")
    }

    // TE-07, AT-04
    @Test func success_exactShape_noStore_andOnlyHashesStored() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        let r = h.exchange(code, client: client)
        #expect(r.status == 200)
        #expect(r.header("Cache-Control") == "no-store")
        #expect(r.header("Pragma") == "no-cache")
        #expect(r.header("Content-Type")?.hasPrefix("application/json") == true)
        let body = jsonObject(r.body)
        #expect(Set(body.keys) == ["access_token", "token_type", "expires_in", "refresh_token", "scope"])
        #expect(body["token_type"] as? String == "Bearer")
        #expect(body["expires_in"] as? Int == 604_800)
        #expect(body["scope"] as? String == "identify")
        let access = try #require(body["access_token"] as? String)
        let refresh = try #require(body["refresh_token"] as? String)
        #expect(isTokenShaped(access) && isTokenShaped(refresh) && access != refresh)

        let rows = try h.database.read { db in try db.query("SELECT token_hash, kind, expires_at, created_at FROM oauth2_tokens") }
        #expect(rows.count == 2)
        let stored = Set(rows.compactMap { $0.blob("token_hash") })
        #expect(stored == [SHA256.hash(Array(access.utf8)), SHA256.hash(Array(refresh.utf8))])
        // No column anywhere holds the plaintext (codes, tokens).
        let dump = try h.database.read { db in
            try ["oauth2_tokens", "oauth2_codes", "oauth2_families"].flatMap { table in
                try db.query("SELECT * FROM \(table)").flatMap { row in row.values.map { "\($0)" } }
            }
        }.joined(separator: "\n")
        #expect(!dump.contains(access) && !dump.contains(refresh) && !dump.contains(code))
        let codeHashes = try h.database.read { db in try db.query("SELECT code_hash FROM oauth2_codes").compactMap { $0.blob("code_hash") } }
        #expect(codeHashes == [SHA256.hash(Array(code.utf8))])
        // Lifetimes (DESIGN): access 7 days, refresh 30 days.
        for row in rows {
            let lifetime = (row.int("expires_at") ?? 0) - (row.int("created_at") ?? 0)
            #expect(lifetime == (row.string("kind") == "access" ? 604_800_000 : 30 * 86_400_000))
        }
    }

    @Test func basicWithFormEncodedCredentials_works() throws {
        let (h, _, client, code) = try Self.setUp()
        defer { h.stop() }
        let r = h.exchange(code, client: client.usingBasic)
        #expect(r.status == 200)
        #expect(isTokenShaped(jsonObject(r.body)["access_token"] as? String))
    }

    // AZ-17: RFC 8414 metadata.
    @Test func discoveryMetadata() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let r = h.get("/.well-known/oauth-authorization-server")
        #expect(r.status == 200)
        let body = jsonObject(r.body)
        let base = h.issuer
        #expect(body["issuer"] as? String == base)
        #expect(body["authorization_endpoint"] as? String == base + "/oauth2/authorize")
        #expect(body["token_endpoint"] as? String == base + "/oauth2/token")
        #expect(body["revocation_endpoint"] as? String == base + "/oauth2/token/revoke")
        #expect(body["introspection_endpoint"] as? String == base + "/oauth2/introspect")
        #expect(body["code_challenge_methods_supported"] as? [String] == ["S256"])
        #expect(body["response_types_supported"] as? [String] == ["code"])
        #expect(body["grant_types_supported"] as? [String] == ["authorization_code", "refresh_token"])
        #expect((body["scopes_supported"] as? [String])?.contains("admin") == false)
        #expect(body["authorization_response_iss_parameter_supported"] as? Bool == true)
    }
}
