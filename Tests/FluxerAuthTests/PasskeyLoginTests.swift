import FluxerCrypto
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
import FluxerDomain

/// Passwordless passkey login (`POST /auth/webauthn/authentication-options`, `POST /auth/webauthn/authenticate`):
/// WebAuthn §7.2 for a usernameless ceremony, over HTTP with a software authenticator. Every refusal is checked
/// to leave no session behind.
@Suite struct PasskeyLoginTests {
    typealias Flag = SoftAuthenticator.Flag
    static func handle(_ user: MFAUser) -> [UInt8] { withUnsafeBytes(of: UInt64(user.id)!.bigEndian, Array.init) }

    /// Options, no authentication needed: a challenge and nothing that names an account.
    func options(_ h: MFAHarness, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let r = h.post("/auth/webauthn/authentication-options")
        #expect(r.status == 200, "\(r.body)", sourceLocation: sourceLocation)
        return try h.challenge(of: jsonObject(r.body), sourceLocation: sourceLocation)
    }

    /// A registered user whose email is verified (passkeys do not sign in to unverified addresses; see
    /// `PreAccountHijackTests`).
    static func verifiedUser(_ h: MFAHarness, _ name: String) throws -> MFAUser {
        let user = try h.register(name)
        try h.database.write { db in try db.run("UPDATE users SET verified = TRUE WHERE id = ?", Int64(user.id)!) }
        return user
    }

    func authenticate(_ h: MFAHarness, _ response: [String: Any], _ challenge: [UInt8]) -> TestResponse {
        h.post("/auth/webauthn/authenticate", ["response": response, "challenge": Base64URL.encode(challenge)])
    }

    static func isFailed(_ r: TestResponse, path: String = "response", code: String = "PASSKEY_AUTHENTICATION_FAILED") -> Bool {
        let items = formItems(r)
        return r.status == 400 && jsonObject(r.body)["code"] as? String == "INVALID_FORM_BODY" && items.count == 1
            && items[0]["path"] as? String == path && items[0]["code"] as? String == code
    }

    @Test func passkey_signsInWithoutPasswordOrTicket() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try Self.verifiedUser(h, "alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)

        let r = h.post("/auth/webauthn/authentication-options")
        #expect(r.status == 200 && r.header("Cache-Control") == "no-store")
        let options = jsonObject(r.body)
        #expect(options["rpId"] as? String == SoftAuthenticator.rpID)
        #expect((options["allowCredentials"] as? [Any])?.isEmpty == true, "usernameless: nothing names an account")
        #expect(options["userVerification"] as? String == "required")
        let challenge = try h.challenge(of: options)
        #expect(challenge.count == 32)

        let done = authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: challenge), userHandle: Self.handle(alice)), challenge)
        #expect(done.status == 200, "\(done.body)")
        let session = jsonObject(done.body)
        #expect(session["user_id"] as? String == alice.id)
        let token = try #require(session["token"] as? String)
        #expect(token.hasPrefix("flx_"))
        #expect(jsonObject(h.send("GET", "/users/@me", auth: token).body)["id"] as? String == alice.id)
        let row = try #require(try h.database.read { db in try db.queryOne("SELECT sign_count, last_used_at FROM webauthn_credentials") })
        #expect(row.int("sign_count") == 1 && row.int("last_used_at") == h.clock.now)
        h.running.app.context.audit.flush()
        #expect(try h.count("audit_events", where: "event = 'login.success' AND detail = 'passkey' AND user_id = \(alice.id)") == 1)

        // The challenge was spent: the same assertion again is refused.
        let again = authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: challenge), userHandle: Self.handle(alice)), challenge)
        #expect(Self.isFailed(again, path: "challenge", code: "INVALID_WEBAUTHN_CHALLENGE"), "\(again.body)")
    }

    /// WA-02, WA-03, WA-04, WA-05 (UV required even when the config only prefers it), WA-10, WA-11, and §7.2
    /// step 6 (a usernameless assertion must carry the owner's user handle). One answer for all; no session.
    @Test func refusals_leaveNoSession() throws {
        let h = try MFAHarness { $0.webauthnUserVerification = "preferred" }
        defer { h.stop() }
        let alice = try Self.verifiedUser(h, "alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)
        let bob = try Self.verifiedUser(h, "bob")
        let bobKey = SoftAuthenticator()
        try h.registerKey(bob, bobKey)
        let sessions = try h.count("sessions")
        let aliceHandle = Self.handle(alice)

        func flip(_ bytes: [UInt8], _ i: Int) -> [UInt8] { var b = bytes; b[i] ^= 0x01; return b }
        let cases: [(String, ([UInt8]) -> [String: Any])] = [
            ("no user handle", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c)) }),
            ("bob's user handle on alice's key", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c), userHandle: Self.handle(bob)) }),
            ("alice's handle on bob's key", { c in MFAHarness.assertionJSON(bobKey, bobKey.assert(challenge: c), userHandle: aliceHandle) }),
            ("tampered signature", { c in
                let a = key.assert(challenge: c)
                return MFAHarness.assertionJSON(key, (a.clientDataJSON, a.authenticatorData, flip(a.signature, a.signature.count - 3)), userHandle: aliceHandle)
            }),
            ("tampered authenticator data", { c in
                let a = key.assert(challenge: c)
                return MFAHarness.assertionJSON(key, (a.clientDataJSON, flip(a.authenticatorData, 36), a.signature), userHandle: aliceHandle)
            }),
            ("wrong origin", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, origin: "https://evil.example"), userHandle: aliceHandle) }),
            ("wrong rpId", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, rpID: "evil.org"), userHandle: aliceHandle) }),
            ("create type", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, type: "webauthn.create"), userHandle: aliceHandle) }),
            ("presence without verification", { c in MFAHarness.assertionJSON(key, key.assert(challenge: c, flags: Flag.up), userHandle: aliceHandle) }),
            ("another challenge signed", { _ in MFAHarness.assertionJSON(key, key.assert(challenge: WebAuthnVerifier.makeChallenge()), userHandle: aliceHandle) }),
            ("unknown credential", { c in
                let stranger = SoftAuthenticator()
                return MFAHarness.assertionJSON(stranger, stranger.assert(challenge: c), userHandle: aliceHandle)
            }),
        ]
        for (label, make) in cases {
            let challenge = try options(h)
            let r = authenticate(h, make(challenge), challenge)
            #expect(Self.isFailed(r), "\(label): \(r.status) \(r.body)")
            // Whatever the outcome, the challenge is gone (WA-02).
            #expect(try h.count("webauthn_challenges", where: "purpose = 'passkey'") == 0, "\(label)")
        }
        #expect(try h.count("sessions") == sessions)

        // Challenges of other ceremonies do not serve here: an MFA-login one and a sudo one.
        let ticket = try h.ticket(alice)
        let loginChallenge = try h.challenge(of: jsonObject(h.post("/auth/login/mfa/webauthn/authentication-options", ["ticket": ticket]).body))
        let sudoChallenge = try h.challenge(of: jsonObject(h.post("/users/@me/sudo/webauthn/authentication-options", auth: alice.auth).body))
        for c in [loginChallenge, sudoChallenge] {
            let r = authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: c), userHandle: aliceHandle), c)
            #expect(Self.isFailed(r, path: "challenge", code: "INVALID_WEBAUTHN_CHALLENGE"), "\(r.body)")
        }
        // Nor does a passkey challenge serve the MFA login step.
        let passkeyChallenge = try options(h)
        let step = h.post("/auth/login/mfa/webauthn", ["response": MFAHarness.assertionJSON(key, key.assert(challenge: passkeyChallenge)),
                                                       "challenge": Base64URL.encode(passkeyChallenge), "ticket": ticket])
        #expect(isInvalidCode(step), "\(step.body)")

        // An expired challenge (5 minutes).
        let late = try options(h)
        h.clock.advance(milliseconds: 5 * 60_000)
        let expired = authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: late), userHandle: aliceHandle), late)
        #expect(Self.isFailed(expired, path: "challenge", code: "INVALID_WEBAUTHN_CHALLENGE"), "\(expired.body)")

        // Malformed bodies get the form error and change nothing.
        for body: [String: Any] in [[:], ["challenge": "x"], ["response": [:] as [String: Any], "challenge": "x"]] {
            let r = h.post("/auth/webauthn/authenticate", body)
            #expect(r.status == 400 && jsonObject(r.body)["code"] as? String == "INVALID_FORM_BODY", "\(body): \(r.body)")
        }
        #expect(try h.count("sessions") == sessions)

        // After all that, the real assertion still works.
        let ok = try options(h)
        #expect(authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: ok), userHandle: aliceHandle), ok).status == 200)
    }

    /// WA-12: a sign count that does not move forward is refused and flagged.
    @Test func loweredSignCount_refusedAndFlagged() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try Self.verifiedUser(h, "alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)
        let first = try options(h)
        #expect(authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: first, signCount: 5), userHandle: Self.handle(alice)), first).status == 200)
        let second = try options(h)
        let r = authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: second, signCount: 5), userHandle: Self.handle(alice)), second)
        #expect(Self.isFailed(r), "\(r.body)")
        let row = try #require(try h.database.read { db in try db.queryOne("SELECT sign_count, clone_warning_at FROM webauthn_credentials") })
        #expect(row.int("sign_count") == 5 && row.int("clone_warning_at") != nil)
    }

    /// Issue 12, "Anyone can lock anyone out" (LG-02): password and code failures never block a passkey (a lock
    /// must not become a denial of service), a passkey sign-in resets their count, and failed assertions (no
    /// guess at any secret) do not count towards the lock. Designed change: passkeys used to be locked too.
    @Test func passwordLockout_neverBlocksPasskeys_andPasskeyFailuresDoNotCount() throws {
        let h = try MFAHarness { $0.lockoutThreshold = 3 }
        defer { h.stop() }
        let alice = try Self.verifiedUser(h, "alice")
        let key = SoftAuthenticator()
        try h.registerKey(alice, key)
        for _ in 0..<3 {
            let c = try options(h)
            #expect(Self.isFailed(authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: c, flags: Flag.up), userHandle: Self.handle(alice)), c)))
        }
        #expect(try h.userRow(alice).int("mfa_failures") == 0)
        for n in 0..<3 { #expect(h.post("/auth/login", ["email": alice.email, "password": "wrong password \(n)"]).status == 400) }
        #expect((try h.userRow(alice).int("mfa_locked_until") ?? 0) > h.clock.now)
        #expect(h.login(alice).status == 400, "the right password while locked")
        let c = try options(h)
        let signedIn = authenticate(h, MFAHarness.assertionJSON(key, key.assert(challenge: c), userHandle: Self.handle(alice)), c)
        #expect(signedIn.status == 200, "\(signedIn.body)")
        let row = try h.userRow(alice)
        #expect(row.int("mfa_failures") == 0 && row.int("mfa_locked_until") == nil)
        #expect(h.login(alice).status == 200, "the lock went with the passkey sign-in")
    }

    /// Bot tokens are refused on both routes; the pending-challenge cap answers 503 with Retry-After rather
    /// than letting unauthenticated callers grow the table without bound.
    @Test func botsRefused_andPendingChallengesCapped() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try Self.verifiedUser(h, "alice")
        let app = jsonObject(h.post("/oauth2/applications", ["name": "Bot"], auth: alice.auth).body)
        let botToken = try #require((app["bot"] as? [String: Any])?["token"] as? String)
        for path in ["/auth/webauthn/authentication-options", "/auth/webauthn/authenticate"] {
            let r = h.post(path, [:], auth: "Bot " + botToken)
            #expect(r.status == 403 && jsonObject(r.body)["code"] as? String == "BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED", "\(path): \(r.body)")
        }

        let expires = h.clock.now + 60_000
        try h.database.write { db in
            for _ in 0..<(WebAuthnRoutes.maxPendingPasskeyChallenges - 1) {
                try db.run("INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, ticket_hash, expires_at) VALUES (?, NULL, 'passkey', NULL, ?)",
                           SecureRandom.bytes(32), expires)
            }
        }
        _ = try options(h)  // the last free place
        let full = h.post("/auth/webauthn/authentication-options")
        #expect(full.status == 503 && full.header("Retry-After") == "5", "\(full.body)")
        #expect(try h.count("webauthn_challenges", where: "purpose = 'passkey'") == WebAuthnRoutes.maxPendingPasskeyChallenges)
        // Expired ones free their places.
        h.clock.advance(milliseconds: 60_001)
        #expect(h.post("/auth/webauthn/authentication-options").status == 200)
    }

    /// The schema keeps passkey challenges user-less and every other kind bound to a user.
    @Test func schema_bindsPurposeToUser() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try Self.verifiedUser(h, "alice")
        #expect(throws: (any Error).self) {
            try h.database.write { db in
                try db.run("INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES (?, ?, 'passkey', 1)",
                           SecureRandom.bytes(32), alice.userID)
            }
        }
        #expect(throws: (any Error).self) {
            try h.database.write { db in
                try db.run("INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES (?, NULL, 'login', 1)", SecureRandom.bytes(32))
            }
        }
    }
}
