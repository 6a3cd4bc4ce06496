import FluxerCrypto
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
import FluxerDomain

/// Issue 12 should-fix "WebAuthn: store the backup-eligible flag and refuse a change across ceremonies (WA-06)".
/// BE is fixed for a credential's life (WebAuthn L3 §6.1.3): it is stored at registration, an assertion whose BE
/// differs is refused (no session, sign count untouched), BE=0 with BS=1 stays refused, and a credential
/// registered before BE was stored (NULL) learns it from its next accepted assertion.
@Suite struct WebAuthnBackupEligibilityTests {
    typealias Flag = SoftAuthenticator.Flag

    /// Registers `key` for `user` with the given authenticator-data flags.
    static func register(_ h: MFAHarness, _ user: MFAUser, _ key: SoftAuthenticator, flags: UInt8,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let challenge = try h.challenge(of: try h.registrationOptions(user, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
        let body: [String: Any] = ["response": MFAHarness.credentialJSON(key, key.register(challenge: challenge, flags: flags)),
                                   "challenge": Base64URL.encode(challenge), "name": "Key"]
        let r = h.post("/users/@me/mfa/webauthn/credentials", merged(body, h.proof(user)), auth: user.auth)
        #expect(r.status == 204, "\(r.body)", sourceLocation: sourceLocation)
    }

    /// A registered user with a verified email (passkeys sign in only such accounts once issue 12's pre-account
    /// hijack fix lands).
    static func user(_ h: MFAHarness, _ name: String) throws -> MFAUser {
        let user = try h.register(name)
        try h.database.write { db in _ = try db.run("UPDATE users SET verified = TRUE WHERE id = ?", user.userID) }
        return user
    }

    /// A passwordless passkey sign-in with an assertion carrying `flags`.
    static func passkey(_ h: MFAHarness, _ user: MFAUser, _ key: SoftAuthenticator, flags: UInt8) throws -> TestResponse {
        let challenge = try h.challenge(of: jsonObject(h.post("/auth/webauthn/authentication-options").body))
        let response = MFAHarness.assertionJSON(key, key.assert(challenge: challenge, flags: flags), userHandle: PasskeyLoginTests.handle(user))
        return h.post("/auth/webauthn/authenticate", ["response": response, "challenge": Base64URL.encode(challenge)])
    }

    static func stored(_ h: MFAHarness, _ key: SoftAuthenticator) throws -> (eligible: Int64?, signCount: Int64?) {
        let row = try #require(try h.database.read { db in
            try db.queryOne("SELECT backup_eligible, sign_count FROM webauthn_credentials WHERE credential_id = ?", key.credentialID)
        })
        return (row.int("backup_eligible"), row.int("sign_count"))
    }

    @Test func backupEligibility_storedAtRegistration_changeRefused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try Self.user(h, "alice")
        let synced = SoftAuthenticator()
        try Self.register(h, alice, synced, flags: Flag.up | Flag.uv | Flag.at | Flag.be)
        #expect(try Self.stored(h, synced).eligible == 1)
        let bob = try Self.user(h, "bob")
        let deviceBound = SoftAuthenticator()
        try Self.register(h, bob, deviceBound, flags: Flag.up | Flag.uv | Flag.at)
        #expect(try Self.stored(h, deviceBound).eligible == 0)

        let sessions = try h.count("sessions")
        for (user, key, flags, label) in [(alice, synced, Flag.up | Flag.uv, "BE 1 → 0"),
                                          (bob, deviceBound, Flag.up | Flag.uv | Flag.be, "BE 0 → 1"),
                                          (bob, deviceBound, Flag.up | Flag.uv | Flag.be | Flag.bs, "BE 0 → 1, backed up"),
                                          (bob, deviceBound, Flag.up | Flag.uv | Flag.bs, "BS without BE")] {
            let before = try Self.stored(h, key)
            let r = try Self.passkey(h, user, key, flags: flags)
            #expect(PasskeyLoginTests.isFailed(r), "\(label): \(r.status) \(r.body)")
            #expect(try Self.stored(h, key) == before, "\(label): nothing changed")
        }
        #expect(try h.count("sessions") == sessions)
        #expect(h.running.log().contains("backup eligibility changed"))

        // The MFA login step refuses it as well (one check for every ceremony).
        var carol = try Self.user(h, "carol")
        try h.enableTOTP(&carol)
        let carolKey = SoftAuthenticator()
        try Self.register(h, carol, carolKey, flags: Flag.up | Flag.uv | Flag.at | Flag.be)
        func mfaStep(_ flags: UInt8) throws -> TestResponse {
            let ticket = try h.ticket(carol)
            let options = jsonObject(h.post("/auth/login/mfa/webauthn/authentication-options", ["ticket": ticket]).body)
            let challenge = try h.challenge(of: options)
            return h.post("/auth/login/mfa/webauthn", ["response": MFAHarness.assertionJSON(carolKey, carolKey.assert(challenge: challenge, flags: flags)),
                                                       "challenge": Base64URL.encode(challenge), "ticket": ticket])
        }
        #expect(try mfaStep(Flag.up | Flag.uv).status == 400)
        #expect(try mfaStep(Flag.up | Flag.uv | Flag.be | Flag.bs).status == 200)

        // The flags as registered (BS may change: a key that becomes backed up) still sign in.
        #expect(try Self.passkey(h, alice, synced, flags: Flag.up | Flag.uv | Flag.be).status == 200)
        #expect(try Self.passkey(h, alice, synced, flags: Flag.up | Flag.uv | Flag.be | Flag.bs).status == 200)
        #expect(try Self.passkey(h, bob, deviceBound, flags: Flag.up | Flag.uv).status == 200)
        #expect(try Self.stored(h, synced) == (1, Int64(synced.signCount)))
    }

    @Test func backupEligibility_unknownForOlderCredentials_learnedOnNextAssertion() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try Self.user(h, "alice")
        let key = SoftAuthenticator()
        try Self.register(h, alice, key, flags: Flag.up | Flag.uv | Flag.at | Flag.be)
        // As a row registered before migration 0012 has it.
        try h.database.write { db in _ = try db.run("UPDATE webauthn_credentials SET backup_eligible = NULL") }
        #expect(try Self.passkey(h, alice, key, flags: Flag.up | Flag.uv | Flag.be).status == 200)
        #expect(try Self.stored(h, key).eligible == 1, "learned from the first accepted assertion")
        #expect(PasskeyLoginTests.isFailed(try Self.passkey(h, alice, key, flags: Flag.up | Flag.uv)), "and held from then on")
    }

    @Test func verifier_backupEligibilityChange_refused() throws {
        let key = SoftAuthenticator()
        let challenge = WebAuthnVerifier.makeChallenge()
        func verify(_ flags: UInt8, stored: Bool?) -> WebAuthnError? {
            let a = key.assert(challenge: challenge, flags: flags)
            do {
                _ = try WebAuthnVerifier.verifyAssertion(clientDataJSON: a.clientDataJSON, authenticatorData: a.authenticatorData, signature: a.signature,
                                                         credentialPublicKey: key.key.coseKey, storedSignCount: 0, expectedChallenge: challenge,
                                                         policy: SoftAuthenticator.policy(), storedBackupEligible: stored)
                return nil
            } catch { return error }
        }
        #expect(verify(Flag.up, stored: true) == .backupEligibilityChanged)
        #expect(verify(Flag.up | Flag.be, stored: false) == .backupEligibilityChanged)
        #expect(verify(Flag.up | Flag.be | Flag.bs, stored: true) == nil)
        #expect(verify(Flag.up, stored: false) == nil)
        #expect(verify(Flag.up | Flag.be, stored: nil) == nil, "unknown: not checked")
        #expect(verify(Flag.up | Flag.bs, stored: nil) == .invalidBackupFlags, "BE=0 ⇒ BS=0")
    }
}
