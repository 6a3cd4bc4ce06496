import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// WebAuthn over HTTP with a software authenticator (an ES256 key made with OpenSSL, `P256SoftKey`):
/// registration options and registration (§7.1, WA-01..WA-09), the MFA login step and sudo assertions (§7.2,
/// WA-10..WA-12), and credential management.
@Suite struct WebAuthnRoutesTests {
    typealias Flag = SoftAuthenticator.Flag

    /// `{response, challenge, name}` for a registration answered by `key`.
    static func registrationBody(_ key: SoftAuthenticator, _ registration: (clientDataJSON: [UInt8], attestationObject: [UInt8]),
                                 challenge: [UInt8], name: String = "Key") -> [String: Any] {
        ["response": MFAHarness.credentialJSON(key, registration), "challenge": Base64URL.encode(challenge), "name": name]
    }

    func loginOptions(_ h: MFAHarness, _ ticket: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let r = h.post("/auth/login/mfa/webauthn/authentication-options", ["ticket": ticket])
        #expect(r.status == 200, "\(r.body)", sourceLocation: sourceLocation)
        return jsonObject(r.body)
    }

    /// One login attempt: a new ticket, new options, and the assertion `make` builds for their challenge.
    func attempt(_ h: MFAHarness, _ user: MFAUser,
                 _ make: ([UInt8]) -> [String: Any]) throws -> TestResponse {
        let ticket = try h.ticket(user)
        let challenge = try h.challenge(of: try loginOptions(h, ticket))
        return h.post("/auth/login/mfa/webauthn", ["response": make(challenge), "challenge": Base64URL.encode(challenge), "ticket": ticket])
    }

    /// Issue 15: the limit answers with the code of Fluxer's `APIErrorCode` enum, and nothing is issued.
    @Test func credentialLimit_isWEBAUTHN_CREDENTIAL_LIMIT_REACHED() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let userID = try #require(Int64(alice.id))
        try h.running.app.context.database.write { db in
            for i in 0..<WebAuthnRoutes.maxCredentialsPerUser {
                try db.run("""
                    INSERT INTO webauthn_credentials (credential_id, user_id, name, public_key, algorithm, created_at)
                    VALUES (?, ?, ?, ?, -7, 1)
                    """, [UInt8(i), 1, 2, 3], userID, "key \(i)", [UInt8(0xA0)])
            }
        }
        let refused = h.post("/users/@me/mfa/webauthn/credentials/registration-options", ["password": alice.password], auth: alice.auth)
        #expect(refused.status == 400 && jsonObject(refused.body)["code"] as? String == "WEBAUTHN_CREDENTIAL_LIMIT_REACHED", "\(refused.body)")
        let challenges = try h.running.app.context.database.read { db in
            try db.queryOne("SELECT COUNT(*) AS n FROM webauthn_challenges")?.int("n")
        }
        #expect(challenges == 0)
    }

    @Test func registrationOptions_register_list() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let options = h.post("/users/@me/mfa/webauthn/credentials/registration-options", ["password": alice.password], auth: alice.auth)
        #expect(options.status == 200, "\(options.body)")
        #expect(options.header("Cache-Control") == "no-store")
        #expect(options.header(SudoToken.header) == nil)
        let o = jsonObject(options.body)
        #expect(o["rp"] as? [String: String] == ["id": h.config.webauthnRPID, "name": h.config.webauthnRPName])
        let user = try #require(o["user"] as? [String: String])
        #expect(user["id"] == Base64URL.encode(withUnsafeBytes(of: UInt64(alice.id)!.bigEndian, Array.init)))
        #expect(user["name"] == alice.email)
        let challenge = try h.challenge(of: o)
        #expect(challenge.count == 32)
        let params = try #require(o["pubKeyCredParams"] as? [[String: Any]])
        #expect(params.compactMap { $0["alg"] as? Int } == [-7, -8, -257])
        #expect(params.allSatisfy { $0["type"] as? String == "public-key" })
        #expect((o["excludeCredentials"] as? [Any])?.isEmpty == true)
        let selection = o["authenticatorSelection"] as? [String: Any]
        #expect(selection?["userVerification"] as? String == "required" && selection?["residentKey"] as? String == "preferred")
        #expect(o["timeout"] as? Int == 300_000)

        let key = SoftAuthenticator()
        let registered = h.post("/users/@me/mfa/webauthn/credentials",
                                merged(Self.registrationBody(key, key.register(challenge: challenge), challenge: challenge, name: "YubiKey"),
                                       ["password": alice.password]), auth: alice.auth)
        #expect(registered.status == 204, "\(registered.body)")
        #expect(registered.header(SudoToken.header) == nil)
        let list = jsonArray(h.send("GET", "/users/@me/mfa/webauthn/credentials", auth: alice.auth).body) as? [[String: Any]] ?? []
        #expect(list.count == 1)
        #expect(list.first?["id"] as? String == Base64URL.encode(key.credentialID))
        #expect(list.first?["name"] as? String == "YubiKey")
        #expect((list.first?["created_at"] as? String)?.hasPrefix("20") == true)
        #expect(list.first?["last_used_at"] is NSNull)
        let me = h.me(alice)
        #expect(me["mfa_enabled"] as? Bool == true && me["authenticator_types"] as? [Int] == [2])
        let row = try #require(try h.database.read { db in try db.queryOne("SELECT * FROM webauthn_credentials") })
        #expect(row.blob("public_key") == key.key.coseKeyCBOR && row.int("algorithm") == -7 && row.int("sign_count") == 0)

        // Now a user with MFA: the password no longer proves sudo; a security-key assertion does.
        let denied = h.post("/users/@me/mfa/webauthn/credentials/registration-options", ["password": alice.password], auth: alice.auth)
        #expect(denied.status == 403 && jsonObject(denied.body)["has_mfa"] as? Bool == true)
        let sudoOptions = jsonObject(h.post("/users/@me/sudo/webauthn/authentication-options", auth: alice.auth).body)
        #expect(sudoOptions["rpId"] as? String == h.config.webauthnRPID)
        #expect((sudoOptions["allowCredentials"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [Base64URL.encode(key.credentialID)])
        let sudoChallenge = try h.challenge(of: sudoOptions)
        let proof: [String: Any] = ["mfa_method": "webauthn", "webauthn_challenge": Base64URL.encode(sudoChallenge),
                                    "webauthn_response": MFAHarness.assertionJSON(key, key.assert(challenge: sudoChallenge))]
        let again = h.post("/users/@me/mfa/webauthn/credentials/registration-options", proof, auth: alice.auth)
        #expect(again.status == 200, "\(again.body)")
        #expect((jsonObject(again.body)["excludeCredentials"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            == [Base64URL.encode(key.credentialID)])
        // The sudo assertion's challenge was single use.
        let replay = try h.expectUnchanged("replayed sudo assertion") {
            h.send("DELETE", "/users/@me/phone", proof, auth: alice.auth)
        }
        #expect(formErrors(replay) == [FormError(path: "mfa_code", code: "INVALID_MFA_CODE")])
        // A fresh one works and issues a sudo token.
        let next = try h.challenge(of: jsonObject(h.post("/users/@me/sudo/webauthn/authentication-options", auth: alice.auth).body))
        let ok = h.send("DELETE", "/users/@me/phone", ["mfa_method": "webauthn", "webauthn_challenge": Base64URL.encode(next),
                                                        "webauthn_response": MFAHarness.assertionJSON(key, key.assert(challenge: next))],
                        auth: alice.auth)
        #expect(ok.status == 204 && ok.header(SudoToken.header) != nil, "\(ok.body)")
        #expect(try h.database.read { db in try db.queryOne("SELECT sign_count FROM webauthn_credentials")?.int("sign_count") } == 2)
    }

    /// WA-01..WA-09 over HTTP: each refusal is 400 and stores nothing; the challenge is spent either way.
    @Test func registration_refusals() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let bob = try h.register("bob")

        func register(_ user: MFAUser, _ build: (SoftAuthenticator, [UInt8]) -> [String: Any]) throws -> TestResponse {
            let challenge = try h.challenge(of: try h.registrationOptions(user))
            return h.post("/users/@me/mfa/webauthn/credentials", merged(build(SoftAuthenticator(), challenge), h.proof(user)), auth: user.auth)
        }
        func expectRefused(_ r: TestResponse, _ label: String, code: String = "INVALID_WEBAUTHN_CREDENTIAL",
                           sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.status == 400 && formErrors(r).map(\.code) == [code], "\(label): \(r.body)", sourceLocation: sourceLocation)
        }
        let cases: [(String, (SoftAuthenticator, [UInt8]) -> [String: Any])] = [
            ("wrong origin", { k, c in Self.registrationBody(k, k.register(challenge: c, origin: "https://evil.example"), challenge: c) }),
            ("wrong rpId", { k, c in Self.registrationBody(k, k.register(challenge: c, rpID: "evil.org"), challenge: c) }),
            ("get type", { k, c in Self.registrationBody(k, k.register(challenge: c, type: "webauthn.get"), challenge: c) }),
            ("no user verification", { k, c in Self.registrationBody(k, k.register(challenge: c, flags: Flag.up | Flag.at), challenge: c) }),
            ("other challenge signed", { k, c in Self.registrationBody(k, k.register(challenge: WebAuthnVerifier.makeChallenge()), challenge: c) }),
            ("malformed CBOR", { k, c in
                let good = k.register(challenge: c)
                return Self.registrationBody(k, (good.clientDataJSON, Array(good.attestationObject.prefix(40))), challenge: c)
            }),
            ("CBOR garbage", { k, c in Self.registrationBody(k, (k.register(challenge: c).clientDataJSON, [0xBF, 0xFF, 0x5B, 0xFF]), challenge: c) }),
            ("CBOR not a map", { k, c in
                Self.registrationBody(k, (k.register(challenge: c).clientDataJSON, CBOREncoder.encode(.array([.int(1)]))), challenge: c)
            }),
        ]
        for (label, build) in cases {
            expectRefused(try register(alice, build), label)
        }
        #expect(try h.count("webauthn_credentials") == 0)
        #expect(h.me(alice)["authenticator_types"] as? [Int] == [0])

        // A challenge spent by a refused attempt cannot be used again, even with a good response (WA-02).
        let challenge = try h.challenge(of: try h.registrationOptions(alice))
        let key = SoftAuthenticator()
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(key, key.register(challenge: challenge, origin: "https://evil.example"), challenge: challenge),
                                    h.proof(alice)), auth: alice.auth), "first")
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(key, key.register(challenge: challenge), challenge: challenge), h.proof(alice)),
                             auth: alice.auth), "replayed challenge", code: "INVALID_WEBAUTHN_CHALLENGE")
        // Another user's challenge, an unknown one, an expired one.
        let bobChallenge = try h.challenge(of: try h.registrationOptions(bob))
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(key, key.register(challenge: bobChallenge), challenge: bobChallenge), h.proof(alice)),
                             auth: alice.auth), "bob's challenge", code: "INVALID_WEBAUTHN_CHALLENGE")
        let made = WebAuthnVerifier.makeChallenge()
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(key, key.register(challenge: made), challenge: made), h.proof(alice)),
                             auth: alice.auth), "unknown challenge", code: "INVALID_WEBAUTHN_CHALLENGE")
        let old = try h.challenge(of: try h.registrationOptions(alice))
        h.clock.advance(milliseconds: 5 * 60_000)
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(key, key.register(challenge: old), challenge: old), h.proof(alice)),
                             auth: alice.auth), "expired challenge", code: "INVALID_WEBAUTHN_CHALLENGE")
        // Not base64url: refused before anything.
        let garbage = h.post("/users/@me/mfa/webauthn/credentials",
                             merged(["response": ["id": "x", "response": ["clientDataJSON": "!!", "attestationObject": "!!"]], "challenge": "x", "name": "k"],
                                    h.proof(alice)), auth: alice.auth)
        expectRefused(garbage, "not base64url")
        // Names: 1-100 characters.
        for name in ["", "   ", String(repeating: "n", count: 101)] {
            let r = try register(alice) { k, c in Self.registrationBody(k, k.register(challenge: c), challenge: c, name: name) }
            #expect(formErrors(r) == [FormError(path: "name", code: "STRING_LENGTH_INVALID")], "\(name.count)")
        }
        #expect(try h.count("webauthn_credentials") == 0)

        // Duplicate credential ids (WA-09): the same key again, or for another user.
        let fresh = try h.challenge(of: try h.registrationOptions(alice))
        #expect(h.post("/users/@me/mfa/webauthn/credentials",
                       merged(Self.registrationBody(key, key.register(challenge: fresh), challenge: fresh), h.proof(alice)),
                       auth: alice.auth).status == 204)
        let twice = try h.challenge(of: try h.registrationOptions(alice))
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(key, key.register(challenge: twice), challenge: twice), h.proof(alice)),
                             auth: alice.auth), "same key twice", code: "WEBAUTHN_CREDENTIAL_EXISTS")
        let forBob = try h.challenge(of: try h.registrationOptions(bob))
        let clone = SoftAuthenticator(credentialID: key.credentialID)
        expectRefused(h.post("/users/@me/mfa/webauthn/credentials",
                             merged(Self.registrationBody(clone, clone.register(challenge: forBob), challenge: forBob), h.proof(bob)),
                             auth: bob.auth), "someone else's credential id", code: "WEBAUTHN_CREDENTIAL_EXISTS")
        #expect(try h.count("webauthn_credentials") == 1)
        #expect(h.me(bob)["mfa_enabled"] as? Bool == false)
    }

    @Test func mfaLogin_withASecurityKey() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)

        let login = jsonObject(h.login(alice).body)
        #expect(login["allowed_methods"] as? [String] == ["webauthn"])
        #expect(login["webauthn"] as? Bool == true && login["totp"] as? Bool == false && login["sms"] as? Bool == false)
        let ticket = try #require(login["ticket"] as? String)
        let options = try loginOptions(h, ticket)
        #expect(options["rpId"] as? String == SoftAuthenticator.rpID)
        #expect(options["userVerification"] as? String == "required")
        #expect((options["allowCredentials"] as? [[String: Any]])?.first?["id"] as? String == Base64URL.encode(key.credentialID))
        let challenge = try h.challenge(of: options)
        let handle = withUnsafeBytes(of: UInt64(alice.id)!.bigEndian, Array.init)
        let done = h.post("/auth/login/mfa/webauthn", ["response": MFAHarness.assertionJSON(key, key.assert(challenge: challenge), userHandle: handle),
                                                       "challenge": Base64URL.encode(challenge), "ticket": ticket])
        #expect(done.status == 200, "\(done.body)")
        let session = jsonObject(done.body)
        #expect(session["user_id"] as? String == alice.id)
        #expect(h.send("GET", "/users/@me", auth: try #require(session["token"] as? String)).status == 200)
        let row = try #require(try h.database.read { db in try db.queryOne("SELECT sign_count, last_used_at FROM webauthn_credentials") })
        #expect(row.int("sign_count") == 1 && row.int("last_used_at") == h.clock.now)
        let list = jsonArray(h.send("GET", "/users/@me/mfa/webauthn/credentials", auth: alice.auth).body) as? [[String: Any]]
        #expect(list?.first?["last_used_at"] is String)

        // The ticket is spent; unknown tickets time out with path "ticket".
        let reused = h.post("/auth/login/mfa/webauthn", ["response": MFAHarness.assertionJSON(key, key.assert(challenge: challenge)),
                                                         "challenge": Base64URL.encode(challenge), "ticket": ticket])
        #expect(isTicketTimeout(reused, path: "ticket"), "\(reused.body)")
        #expect(isTicketTimeout(h.post("/auth/login/mfa/webauthn/authentication-options", ["ticket": ticket]), path: "ticket"))
        // A TOTP code cannot stand in for the key.
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(alice), "123456")))
    }

    /// WA-02, WA-03, WA-04, WA-10, WA-11 at the login step: every refusal is "Invalid code", no session.
    @Test func mfaLogin_refusals() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)
        let bob = try h.register("bob")
        let bobKey = SoftAuthenticator()
        try h.registerKey(bob, bobKey)
        let sessions = try h.count("sessions")

        func flip(_ bytes: [UInt8], _ i: Int) -> [UInt8] { var b = bytes; b[i] ^= 0x01; return b }
        let cases: [(String, ([UInt8]) -> [String: Any])] = [
            ("tampered signature", { c in
                let a = key.assert(challenge: c)
                return MFAHarness.assertionJSON(key, (a.clientDataJSON, a.authenticatorData, flip(a.signature, a.signature.count - 3)))
            }),
            ("tampered authenticator data", { c in
                let a = key.assert(challenge: c)
                return MFAHarness.assertionJSON(key, (a.clientDataJSON, flip(a.authenticatorData, 36), a.signature))
            }),
            ("tampered client data", { c in
                let a = key.assert(challenge: c)
                return MFAHarness.assertionJSON(key, (flip(a.clientDataJSON, a.clientDataJSON.count - 2), a.authenticatorData, a.signature))
            }),
            ("wrong origin", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, origin: "https://evil.example")) }),
            ("wrong rpId", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, rpID: "evil.org")) }),
            ("create type", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, type: "webauthn.create")) }),
            ("no user verification", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, flags: Flag.up)) }),
            ("other challenge signed", { _ in MFAHarness.assertionJSON(key, key.assert(challenge: WebAuthnVerifier.makeChallenge())) }),
            ("bob's key", { c in MFAHarness.assertionJSON(bobKey, bobKey.assert(challenge: c)) }),
            ("someone else's user handle", { c in
                MFAHarness.assertionJSON(key, key.assert(challenge: c), userHandle: withUnsafeBytes(of: UInt64(bob.id)!.bigEndian, Array.init))
            }),
            ("no signature", { c in
                var json = MFAHarness.assertionJSON(key, key.assert(challenge: c))
                var response = json["response"] as! [String: Any]
                response["signature"] = nil
                json["response"] = response
                return json
            }),
        ]
        for (label, make) in cases {
            let r = try attempt(h, alice, make)
            #expect(isInvalidCode(r), "\(label): \(r.status) \(r.body)")
        }
        #expect(try h.count("sessions") == sessions)

        // Replayed challenge: a good assertion for a challenge already used (WA-02).
        let ticket = try h.ticket(alice)
        let challenge = try h.challenge(of: try loginOptions(h, ticket))
        let good = MFAHarness.assertionJSON(key, key.assert(challenge: challenge))
        #expect(h.post("/auth/login/mfa/webauthn", ["response": good, "challenge": Base64URL.encode(challenge), "ticket": ticket]).status == 200)
        let ticket2 = try h.ticket(alice)
        #expect(isInvalidCode(h.post("/auth/login/mfa/webauthn", ["response": good, "challenge": Base64URL.encode(challenge), "ticket": ticket2])))
        // A challenge issued for one ticket does not serve another; and a refused attempt spends the challenge.
        let ticket3 = try h.ticket(alice)
        let forTicket3 = try h.challenge(of: try loginOptions(h, ticket3))
        let other = MFAHarness.assertionJSON(key, key.assert(challenge: forTicket3))
        #expect(isInvalidCode(h.post("/auth/login/mfa/webauthn", ["response": other, "challenge": Base64URL.encode(forTicket3), "ticket": ticket2])))
        #expect(isInvalidCode(h.post("/auth/login/mfa/webauthn", ["response": other, "challenge": Base64URL.encode(forTicket3), "ticket": ticket3])))
        // A sudo challenge is not a login challenge.
        let sudo = try h.challenge(of: jsonObject(h.post("/users/@me/sudo/webauthn/authentication-options", auth: alice.auth).body))
        let ticket4 = try h.ticket(alice)
        #expect(isInvalidCode(h.post("/auth/login/mfa/webauthn", ["response": MFAHarness.assertionJSON(key, key.assert(challenge: sudo)),
                                                                  "challenge": Base64URL.encode(sudo), "ticket": ticket4])))
        // An expired challenge (5 minutes; the ticket lives 5 minutes too, so test with a fresh ticket's options just before).
        let ticket5 = try h.ticket(alice)
        let late = try h.challenge(of: try loginOptions(h, ticket5))
        h.clock.advance(milliseconds: 5 * 60_000)
        #expect(!(h.post("/auth/login/mfa/webauthn", ["response": MFAHarness.assertionJSON(key, key.assert(challenge: late)),
                                                      "challenge": Base64URL.encode(late), "ticket": ticket5]).status == 200))
        #expect(try h.count("sessions") == sessions + 1)
    }

    /// WA-12: a sign count that does not increase is a possible clone: refused and flagged.
    @Test func mfaLogin_loweredSignCount_flagsAClone() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let key = SoftAuthenticator()
        key.signCount = 5
        try h.registerKey(alice, key)
        func stored() throws -> (count: Int64?, warning: Int64?) {
            let row = try h.database.read { db in try db.queryOne("SELECT sign_count, clone_warning_at FROM webauthn_credentials") }
            return (row?.int("sign_count"), row?.int("clone_warning_at"))
        }
        #expect(try stored().count == 5 && stored().warning == nil)
        let lowered = try attempt(h, alice) { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, signCount: 3)) }
        #expect(isInvalidCode(lowered), "\(lowered.body)")
        #expect(try stored().count == 5)
        #expect(try stored().warning == h.clock.now)
        let equal = try attempt(h, alice) { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, signCount: 5)) }
        #expect(isInvalidCode(equal))
        // Through sudo as well.
        let challenge = try h.challenge(of: jsonObject(h.post("/users/@me/sudo/webauthn/authentication-options", auth: alice.auth).body))
        // (The refused proof spends its challenge and records the warning; nothing else changes.)
        let phoneBefore = try h.userRow(alice).string("phone")
        let sudo = h.send("DELETE", "/users/@me/phone", ["mfa_method": "webauthn", "webauthn_challenge": Base64URL.encode(challenge),
                                                         "webauthn_response": MFAHarness.assertionJSON(key, key.assert(challenge: challenge, signCount: 4))],
                          auth: alice.auth)
        #expect(try h.userRow(alice).string("phone") == phoneBefore)
        #expect(try h.count("webauthn_challenges") == 0)
        #expect(formErrors(sudo) == [FormError(path: "mfa_code", code: "INVALID_MFA_CODE")])
        #expect(try stored().count == 5)
        // An authenticator without a counter (always 0, stored 0) is not a clone.
        let bob = try h.register("bob")
        let counterless = SoftAuthenticator()
        try h.registerKey(bob, counterless)
        for _ in 1...2 {
            let r = try attempt(h, bob) { c in MFAHarness.assertionJSON(counterless, counterless.assert(challenge: c, signCount: 0)) }
            #expect(r.status == 200, "\(r.body)")
        }
    }

    @Test func renameAndDelete_needSudo() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key, name: "Old name")
        let id = Base64URL.encode(key.credentialID)
        let path = "/users/@me/mfa/webauthn/credentials/\(id)"
        func names() -> [String] {
            (jsonArray(h.send("GET", "/users/@me/mfa/webauthn/credentials", auth: alice.auth).body) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
        #expect(h.send("PATCH", path, ["name": "New"], auth: alice.auth).status == 403)
        #expect(h.send("PATCH", path, merged(["name": String(repeating: "x", count: 101)], h.totpProof(alice)), auth: alice.auth).status == 400)
        #expect(h.send("PATCH", path, merged(["name": " YubiKey 5 "], h.totpProof(alice)), auth: alice.auth).status == 204)
        #expect(names() == ["YubiKey 5"])
        let unknown = h.send("PATCH", "/users/@me/mfa/webauthn/credentials/\(Base64URL.encode(SecureRandom.bytes(32)))",
                             merged(["name": "x"], h.totpProof(alice)), auth: alice.auth)
        #expect(unknown.status == 404 && errorCode(unknown) == "UNKNOWN_WEBAUTHN_CREDENTIAL")
        // Another user cannot touch it.
        let bob = try h.register("bob")
        #expect(h.send("PATCH", path, ["name": "Mine", "password": bob.password], auth: bob.auth).status == 404)
        #expect(h.send("DELETE", path, ["password": bob.password], auth: bob.auth).status == 404)
        #expect(names() == ["YubiKey 5"])

        #expect(h.send("DELETE", path, auth: alice.auth).status == 403)
        let deleted = h.send("DELETE", path, h.totpProof(alice), auth: alice.auth)
        #expect(deleted.status == 204 && deleted.header(SudoToken.header) != nil)
        #expect(names().isEmpty)
        #expect(h.me(alice)["authenticator_types"] as? [Int] == [0])
        #expect(h.send("DELETE", path, h.totpProof(alice), auth: alice.auth).status == 404)

        // A key-only user deleting the last key no longer has MFA.
        let carol = try h.register("carol")
        let carolKey = SoftAuthenticator()
        try h.registerKey(carol, carolKey)
        let challenge = try h.challenge(of: jsonObject(h.post("/users/@me/sudo/webauthn/authentication-options", auth: carol.auth).body))
        let gone = h.send("DELETE", "/users/@me/mfa/webauthn/credentials/\(Base64URL.encode(carolKey.credentialID))",
                          ["mfa_method": "webauthn", "webauthn_challenge": Base64URL.encode(challenge),
                           "webauthn_response": MFAHarness.assertionJSON(carolKey, carolKey.assert(challenge: challenge))], auth: carol.auth)
        #expect(gone.status == 204, "\(gone.body)")
        #expect(h.me(carol)["mfa_enabled"] as? Bool == false)
        #expect(jsonObject(h.login(carol).body)["token"] is String)
    }
}
