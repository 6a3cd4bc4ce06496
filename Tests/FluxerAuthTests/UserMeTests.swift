import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
import FluxerDomain
import FluxerPersistence

@Suite struct UserMeTests {
    @Test func me_bareOrBearer_returnsThePrivateUserShape() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "Mixed.Case@Example.COM", username: "mixed_case", globalName: "Mixed Case")
        var bodies: [String] = []
        for auth in [account.token, "Bearer \(account.token)", account.token] {  // database, then cache
            let response = h.me(auth)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            bodies.append(response.body)
        }
        #expect(Set(bodies).count == 1)
        let user = try #require(jsonObject(h.me(account.token)))
        #expect(user["id"] as? String == account.userID)
        #expect(user["username"] as? String == "mixed_case")
        #expect(user["global_name"] as? String == "Mixed Case")
        let discriminator = try #require(user["discriminator"] as? String)
        #expect(discriminator.count == 4 && discriminator.allSatisfy(\.isNumber) && discriminator != "0000")
        #expect(user["email"] as? String == "Mixed.Case@Example.COM")
        #expect(user["verified"] as? Bool == false)
        #expect(user["mfa_enabled"] as? Bool == false)
        #expect(user["authenticator_types"] as? [Any] != nil)
        #expect(user["flags"] as? Int == 0)
        #expect(user["phone"] is NSNull)
        #expect(user["bot"] == nil)
        #expect(user["system"] == nil)
        #expect(user["password_hash"] == nil)
        #expect(!h.me(account.token).body.contains("argon2"))
    }

    @Test func me_botSession_hasBotTrue() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let bot = try h.insertBotUser(email: "b@example.com", password: "bot password 1")
        let token = try h.database.write { db in
            try SessionStore.create(userID: bot.id, ip: nil, userAgent: nil, isDesktop: false, now: h.clock.now, in: db)
        }
        let user = try #require(jsonObject(h.me(token)))
        #expect(user["bot"] as? Bool == true)
    }

    @Test func me_withoutAValidCredential_is401Unauthorized() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "u401@example.com")
        let revoked = try h.loginToken(account)
        #expect(h.me(revoked).status == 200)
        #expect(h.request("POST", "/auth/logout", auth: revoked).status == 204)
        let token = account.token
        let cases: [(String, [(String, String)])] = [
            ("no header", []),
            ("empty header", [("Authorization", "")]),
            ("unknown token", [("Authorization", "flx_" + String(repeating: "Q", count: 36))]),
            ("revoked token", [("Authorization", revoked)]),
            ("revoked bearer", [("Authorization", "Bearer \(revoked)")]),
            ("malformed token", [("Authorization", "flx_short")]),
            ("wrong prefix", [("Authorization", "flb_" + token.dropFirst(4))]),
            ("token plus one", [("Authorization", token + "A")]),
            ("two spaces after Bearer", [("Authorization", "Bearer  \(token)")]),
            ("token then junk", [("Authorization", "\(token) extra")]),
            ("tab inside", [("Authorization", "Bearer\t\(token)")]),
            ("Bot prefix", [("Authorization", "Bot \(token)")]),
            ("lower-case bearer", [("Authorization", "bearer \(token)")]),
            ("Basic", [("Authorization", "Basic \(token)")]),
        ]
        for (label, headers) in cases {
            let response = try h.expectNoChange(label) { h.request("GET", "/users/@me", headers: headers) }
            #expect(response.status == 401, "\(label)")
            #expect(response.body == unauthorizedBody, "\(label)")
        }
        #expect(h.me(token).status == 200)
    }

    /// The raw header rules (the HTTP parser already strips the optional whitespace around a field value, as
    /// RFC 9112 §5 requires, so these can only be seen below it).
    @Test func credentialParse_refusesSurroundingOrInnerWhitespace() {
        let token = "flx_" + String(repeating: "a", count: 36)
        #expect(Credential.parse(token) == .bare(token[...]))
        #expect(Credential.parse("Bearer \(token)") == .bearer(token[...]))
        for header in [" \(token)", "\(token) ", "  \(token)", "Bearer  \(token)", " Bearer \(token)", "Bearer \(token) ", "\t\(token)", "Bearer "] {
            #expect(Credential.parse(header) == nil, "\(header)")
        }
    }

    @Test func me_overTheWire_optionalWhitespaceAroundTheValueIsNotPartOfIt() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let account = try h.register(email: "ows@example.com")
        // `Authorization:   <token>  ` — the spaces are OWS, stripped by the HTTP parser (as Node's does).
        let raw = "GET /users/@me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization:   \(account.token)  \r\n\r\n"
        #expect(TestClient.parse(TestClient.send(port: h.port, raw: raw)).status == 200)
    }
}
