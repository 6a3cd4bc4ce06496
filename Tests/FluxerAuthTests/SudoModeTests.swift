import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// Every sudo route refusing each missing or wrong proof and changing nothing, then accepting the right one;
/// the sudo token (`X-Fluxer-Sudo-Mode-JWT`): issued to MFA users only, five minutes, bound to the user.
@Suite struct SudoModeTests {
    struct Route {
        var name: String
        var method: String
        var path: String
        var body: () -> [String: Any] = { [:] }
        var status: Int = 204
        /// Whether a success issues a sudo token to an MFA user (SMS enable and WebAuthn registration opt out).
        var issuesToken = true
        /// Whether the success is run in the matrix (some change what later routes need).
        var runSuccess = true
    }

    /// An application, a second session, a phone token and a WebAuthn registration waiting for the user.
    struct Fixture {
        var appID: String
        var otherSession: String
        var phoneToken: String
        var registration: [String: Any]
        var credentialID: String?
    }

    static func fixture(_ h: MFAHarness, _ user: MFAUser, phone: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Fixture {
        let created = h.post("/oauth2/applications", ["name": "Bot \(user.id.suffix(4))", "redirect_uris": []], auth: user.auth)
        #expect(created.status == 200, "\(created.body)", sourceLocation: sourceLocation)
        let appID = try #require(jsonObject(created.body)["id"] as? String, sourceLocation: sourceLocation)
        let other: String
        if user.secret != nil {
            other = try #require(jsonObject(h.loginTOTP(try h.ticket(user), h.freshCode(user)).body)["token"] as? String)
        } else {
            other = try #require(jsonObject(h.login(user).body)["token"] as? String)
        }
        let token = try h.phoneToken(user, phone: phone, sourceLocation: sourceLocation)
        let options = try h.registrationOptions(user, sourceLocation: sourceLocation)
        let challenge = try h.challenge(of: options)
        let key = SoftAuthenticator()
        let registration: [String: Any] = ["response": MFAHarness.credentialJSON(key, key.register(challenge: challenge)),
                                           "challenge": Base64URL.encode(challenge), "name": "Second key"]
        return Fixture(appID: appID, otherSession: idHash(of: other), phoneToken: token, registration: registration)
    }

    static func routes(_ f: Fixture, mfa: Bool, h: MFAHarness, user: MFAUser) -> [Route] {
        var routes = [
            Route(name: "registration options", method: "POST", path: "/users/@me/mfa/webauthn/credentials/registration-options",
                  status: 200, issuesToken: false),
            Route(name: "logout sessions", method: "POST", path: "/auth/sessions/logout", body: { ["session_id_hashes": [f.otherSession]] }),
            Route(name: "bot token reset", method: "POST", path: "/oauth2/applications/\(f.appID)/bot/reset-token", status: 200),
            Route(name: "client secret reset", method: "POST", path: "/oauth2/applications/\(f.appID)/client-secret/reset", status: 200),
            Route(name: "set phone", method: "POST", path: "/users/@me/phone", body: { ["phone_token": f.phoneToken] }),
        ]
        if mfa {
            routes += [
                // Early: the registration challenge lives 5 minutes and every TOTP proof moves the clock 30 s.
                Route(name: "webauthn register", method: "POST", path: "/users/@me/mfa/webauthn/credentials", body: { f.registration },
                      issuesToken: false),
                Route(name: "backup codes", method: "POST", path: "/users/@me/mfa/backup-codes", body: { ["regenerate": true] }, status: 200),
                Route(name: "sms enable", method: "POST", path: "/users/@me/mfa/sms/enable", issuesToken: false),
                Route(name: "sms disable", method: "POST", path: "/users/@me/mfa/sms/disable"),
                Route(name: "webauthn rename", method: "PATCH", path: "/users/@me/mfa/webauthn/credentials/\(f.credentialID!)",
                      body: { ["name": "Renamed"] }),
                Route(name: "webauthn delete", method: "DELETE", path: "/users/@me/mfa/webauthn/credentials/\(f.credentialID!)"),
            ]
        } else {
            routes += [
                Route(name: "sms disable", method: "POST", path: "/users/@me/mfa/sms/disable"),
                Route(name: "totp enable", method: "POST", path: "/users/@me/mfa/totp/enable",
                      body: { let s = TOTP.generateSecret(); return ["secret": Base32.encode(s), "code": h.code(s)] }, status: 200, runSuccess: false),
                Route(name: "webauthn register", method: "POST", path: "/users/@me/mfa/webauthn/credentials", body: { f.registration },
                      runSuccess: false),
            ]
        }
        routes += [
            Route(name: "change redirect uris", method: "PATCH", path: "/oauth2/applications/\(f.appID)",
                  body: { ["redirect_uris": ["https://changed.example/cb"]] }, status: 200),
            Route(name: "remove phone", method: "DELETE", path: "/users/@me/phone"),
            Route(name: "delete application", method: "DELETE", path: "/oauth2/applications/\(f.appID)"),
        ]
        if mfa {
            // Last: the proof takes this step's code, the body the next step's (both inside the window).
            routes.append(Route(name: "totp disable", method: "POST", path: "/users/@me/mfa/totp/disable",
                                body: { ["code": h.code(user.secret!, steps: 1)] }))
        }
        return routes
    }

    static func expectSudoRequired(_ r: TestResponse, hasMFA: Bool, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 403 && errorCode(r) == "SUDO_MODE_REQUIRED", "\(label): \(r.status) \(r.body)", sourceLocation: sourceLocation)
        #expect(jsonObject(r.body)["has_mfa"] as? Bool == hasMFA, "\(label)", sourceLocation: sourceLocation)
    }

    @Test func userWithoutMFA_everyRoute() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let bob = try h.totpUser("bob")
        let bobJWT = try #require(h.post("/users/@me/mfa/backup-codes", merged(["regenerate": true], h.totpProof(bob)), auth: bob.auth)
            .header(SudoToken.header))
        let f = try Self.fixture(h, alice, phone: "+14155550123")
        let routes = Self.routes(f, mfa: false, h: h, user: alice)
        for route in routes {
            let label = route.name
            func call(_ proof: [String: Any], headers: [(String, String)] = []) -> TestResponse {
                h.send(route.method, route.path, merged(route.body(), proof), auth: alice.auth, headers: headers)
            }
            Self.expectSudoRequired(try h.expectUnchanged("\(label), no proof") { call([:]) }, hasMFA: false, "\(label), no proof")
            Self.expectSudoRequired(try h.expectUnchanged("\(label), empty password") { call(["password": ""]) }, hasMFA: false, label)
            Self.expectSudoRequired(try h.expectUnchanged("\(label), mfa proof without mfa") {
                call(["mfa_method": "totp", "mfa_code": "123456"])
            }, hasMFA: false, label)
            Self.expectSudoRequired(try h.expectUnchanged("\(label), bob's sudo token") { call([:], headers: [(SudoToken.header, bobJWT)]) },
                                    hasMFA: false, label)
            let wrong = try h.expectUnchanged("\(label), wrong password") { call(["password": "not the password"]) }
            #expect(wrong.status == 400 && formErrors(wrong) == [FormError(path: "password", code: "INVALID_PASSWORD")], "\(label): \(wrong.body)")
        }
        for route in routes where route.runSuccess {
            let ok = h.send(route.method, route.path, merged(route.body(), ["password": alice.password]), auth: alice.auth)
            #expect(ok.status == route.status, "\(route.name): \(ok.status) \(ok.body)")
            #expect(ok.header(SudoToken.header) == nil, "\(route.name): no sudo token without MFA")
        }
        // The successes did what they say.
        #expect(try h.count("applications", where: "id = \(f.appID)") == 0)
        #expect(try h.count("sessions", where: "user_id = \(alice.id)") == 1)
        #expect(h.me(alice)["phone"] is NSNull)
    }

    @Test func userWithTOTP_everyRoute() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let bob = try h.totpUser("bob")
        let bobJWT = try #require(h.post("/users/@me/mfa/backup-codes", merged(["regenerate": true], h.totpProof(bob)), auth: bob.auth)
            .header(SudoToken.header))
        try h.addPhone(alice, phone: "+14155550123", enableSMS: false)
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)
        var f = try Self.fixture(h, alice, phone: "+14155550177")
        f.credentialID = Base64URL.encode(key.credentialID)
        let routes = Self.routes(f, mfa: true, h: h, user: alice)
        let secret = try #require(alice.secret)
        for route in routes {
            let label = route.name
            func call(_ proof: [String: Any], headers: [(String, String)] = []) -> TestResponse {
                h.send(route.method, route.path, merged(route.body(), proof), auth: alice.auth, headers: headers)
            }
            Self.expectSudoRequired(try h.expectUnchanged("\(label), no proof") { call([:]) }, hasMFA: true, "\(label), no proof")
            Self.expectSudoRequired(try h.expectUnchanged("\(label), password") { call(["password": alice.password]) }, hasMFA: true,
                                    "\(label), password alone")
            Self.expectSudoRequired(try h.expectUnchanged("\(label), bob's sudo token") { call([:], headers: [(SudoToken.header, bobJWT)]) },
                                    hasMFA: true, label)
            Self.expectSudoRequired(try h.expectUnchanged("\(label), garbage token") { call([:], headers: [(SudoToken.header, "a.b.c")]) },
                                    hasMFA: true, label)
            for (what, proof) in [("wrong code", ["mfa_method": "totp", "mfa_code": h.code(secret, steps: 5)]),
                                  ("no code", ["mfa_method": "totp"]),
                                  ("sms not enabled", ["mfa_method": "sms", "mfa_code": "123456"]),
                                  ("webauthn without a response", ["mfa_method": "webauthn"]),
                                  ("unknown backup code", ["mfa_method": "totp", "mfa_code": "zzzz-zzzz"])] {
                let r = try h.expectUnchanged("\(label), \(what)") { call(proof) }
                #expect(r.status == 400 && formErrors(r) == [FormError(path: "mfa_code", code: "INVALID_MFA_CODE")], "\(label), \(what): \(r.body)")
            }
            let badMethod = try h.expectUnchanged("\(label), unknown method") { call(["mfa_method": "email", "mfa_code": "123456"]) }
            #expect(badMethod.status == 400, "\(label)")
        }
        for route in routes where route.runSuccess {
            let proof = h.totpProof(alice)
            let ok = h.send(route.method, route.path, merged(route.body(), proof), auth: alice.auth)
            #expect(ok.status == route.status, "\(route.name): \(ok.status) \(ok.body)")
            #expect((ok.header(SudoToken.header) != nil) == route.issuesToken, "\(route.name): sudo token")
        }
        let me = h.me(alice)
        #expect(me["mfa_enabled"] as? Bool == true, "the second key is still there")
        #expect(me["authenticator_types"] as? [Int] == [2])
        #expect(try h.count("applications", where: "id = \(f.appID)") == 0)
        #expect(try h.count("webauthn_credentials", where: "user_id = \(alice.id)") == 1)
        #expect(try h.count("sessions", where: "id_hash = '\(f.otherSession)'") == 0)
    }

    @Test func sudoToken_replacesTheProof_forFiveMinutes() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let first = h.post("/users/@me/mfa/backup-codes", merged(["regenerate": true], h.totpProof(alice)), auth: alice.auth)
        #expect(first.status == 200)
        let jwt = try #require(first.header(SudoToken.header))
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        let header = jsonObject(String(decoding: Base64URL.decode(String(parts[0])) ?? [], as: UTF8.self))
        #expect(header["alg"] as? String == "HS256")
        let claims = jsonObject(String(decoding: Base64URL.decode(String(parts[1])) ?? [], as: UTF8.self))
        #expect(claims["type"] as? String == "sudo" && claims["sub"] as? String == alice.id)
        let iat = try #require(claims["iat"] as? Int)
        #expect(claims["exp"] as? Int == iat + 300)
        #expect(Int64(iat) == h.clock.now / 1000)

        func withToken(_ token: String) -> TestResponse {
            h.post("/users/@me/mfa/backup-codes", ["regenerate": true], auth: alice.auth, headers: [(SudoToken.header, token)])
        }
        #expect(withToken(jwt).status == 200)
        // Other routes take it too.
        #expect(h.send("DELETE", "/users/@me/phone", auth: alice.auth, headers: [(SudoToken.header, jwt)]).status == 204)
        // Tampered: refused.
        var tampered = Array(jwt.utf8)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        Self.expectSudoRequired(withToken(String(decoding: tampered, as: UTF8.self)), hasMFA: true, "tampered")
        let forged = String(parts[0]) + "." + Base64URL.encode(Array(#"{"type":"sudo","sub":"\#(alice.id)","iat":\#(iat),"exp":\#(iat + 3600)}"#.utf8))
            + "." + String(parts[2])
        Self.expectSudoRequired(withToken(forged), hasMFA: true, "forged claims")
        // 4:59 later still good; at 5:00 refused.
        h.clock.advance(milliseconds: 299_000)
        #expect(withToken(jwt).status == 200)
        h.clock.advance(milliseconds: 1_000)
        Self.expectSudoRequired(try h.expectUnchanged("expired token") { withToken(jwt) }, hasMFA: true, "expired")
    }

    /// The token also comes as the cookie `__flx_sudo_<userId>` (real server), which is accepted in place of the
    /// header: only under that user's name, only while the token is valid.
    @Test func sudoCookie_issuedAndAccepted() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let bob = try h.totpUser("bob")
        let first = h.post("/users/@me/mfa/backup-codes", merged(["regenerate": true], h.totpProof(alice)), auth: alice.auth)
        let jwt = try #require(first.header(SudoToken.header))
        let cookie = try #require(first.header("Set-Cookie"))
        // Dev mode on an http public URL: not Secure, as the authorize page's cookies.
        #expect(cookie == "__flx_sudo_\(alice.id)=\(jwt); Path=/; HttpOnly; SameSite=Lax; Max-Age=300", "\(cookie)")

        func withCookie(_ user: MFAUser, _ value: String) -> TestResponse {
            h.post("/users/@me/mfa/backup-codes", ["regenerate": true], auth: user.auth, headers: [("Cookie", "other=1; \(value)")])
        }
        #expect(withCookie(alice, "__flx_sudo_\(alice.id)=\(jwt)").status == 200)
        // Under another user's name, or carried to another user: refused, nothing changed.
        Self.expectSudoRequired(try h.expectUnchanged("alice's cookie name, bob's session") { withCookie(bob, "__flx_sudo_\(alice.id)=\(jwt)") },
                                hasMFA: true, "foreign name")
        Self.expectSudoRequired(try h.expectUnchanged("alice's token in bob's cookie") { withCookie(bob, "__flx_sudo_\(bob.id)=\(jwt)") },
                                hasMFA: true, "foreign token")
        Self.expectSudoRequired(try h.expectUnchanged("garbage cookie") { withCookie(alice, "__flx_sudo_\(alice.id)=a.b.c") },
                                hasMFA: true, "garbage")
        h.clock.advance(milliseconds: 300_000)
        Self.expectSudoRequired(try h.expectUnchanged("expired cookie") { withCookie(alice, "__flx_sudo_\(alice.id)=\(jwt)") },
                                hasMFA: true, "expired")
    }

    @Test func sudoToken_boundToItsUser_andPasswordUsersGetNone() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let bob = try h.totpUser("bob")
        let carol = try h.register("carol")
        let jwt = try #require(h.post("/users/@me/mfa/backup-codes", merged(["regenerate": true], h.totpProof(alice)), auth: alice.auth)
            .header(SudoToken.header))
        Self.expectSudoRequired(try h.expectUnchanged("alice's token for bob") {
            h.post("/users/@me/mfa/backup-codes", ["regenerate": true], auth: bob.auth, headers: [(SudoToken.header, jwt)])
        }, hasMFA: true, "bob")
        Self.expectSudoRequired(try h.expectUnchanged("alice's token for carol") {
            h.send("DELETE", "/users/@me/phone", auth: carol.auth, headers: [(SudoToken.header, jwt)])
        }, hasMFA: false, "carol")
        // A password user never gets one and must send the password each time.
        let ok = h.send("DELETE", "/users/@me/phone", ["password": carol.password], auth: carol.auth)
        #expect(ok.status == 204 && ok.header(SudoToken.header) == nil)
        Self.expectSudoRequired(h.send("DELETE", "/users/@me/phone", auth: carol.auth), hasMFA: false, "again without the password")
        // A valid token of her own would do (decision step 3), e.g. minted before MFA was turned off.
        let own = SudoToken.mint(userID: UInt64(carol.id)!, now: h.clock.now, key: h.running.app.accounts.mfaKeys.sudoKey)
        #expect(h.send("DELETE", "/users/@me/phone", auth: carol.auth, headers: [(SudoToken.header, own)]).status == 204)
    }

    @Test func mfaMethods() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        var alice = try h.register("alice")
        func methods() -> [String: Bool] {
            jsonObject(h.send("GET", "/users/@me/sudo/mfa-methods", auth: alice.auth).body).compactMapValues { $0 as? Bool }
        }
        #expect(methods() == ["totp": false, "sms": false, "webauthn": false, "has_mfa": false])
        try h.enableTOTP(&alice)
        #expect(methods() == ["totp": true, "sms": false, "webauthn": false, "has_mfa": true])
        try h.addPhone(alice, phone: "+14155550123")
        #expect(methods() == ["totp": true, "sms": true, "webauthn": false, "has_mfa": true])
        try h.registerKey(alice, SoftAuthenticator())
        #expect(methods() == ["totp": true, "sms": true, "webauthn": true, "has_mfa": true])
        #expect(h.send("GET", "/users/@me/sudo/mfa-methods").status == 401)
    }
}
