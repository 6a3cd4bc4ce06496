import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// TOTP over HTTP: setup, enable (server and client secrets), the ±1 step window, replay, the sealed secret,
/// backup codes (TO-01, TO-02, TO-03, TO-05, TO-06, RC-01). RFC 6238 Appendix B vectors are in FluxerCryptoTests.
@Suite struct MFATOTPTests {
    @Test func setupThenEnable_withTheFirstCode() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")

        let setup = h.post("/users/@me/mfa/totp/setup", auth: alice.auth)
        #expect(setup.status == 200, "\(setup.body)")
        #expect(setup.header("Cache-Control") == "no-store")
        let body = jsonObject(setup.body)
        let secretText = try #require(body["secret"] as? String)
        let secret = try #require(Base32.decode(secretText))
        #expect(secret.count >= 20, "TO-05: at least 160 bits")
        let uri = try #require(body["uri"] as? String)
        #expect(uri.hasPrefix("otpauth://totp/"))
        #expect(uri.contains("secret=\(secretText)"))
        #expect((body["qr_code"] as? String)?.hasPrefix("data:image/svg+xml;base64,") == true)

        // A wrong code: 400, still disabled, nothing stored.
        h.clock.advance(milliseconds: 30_000)
        let wrong = h.post("/users/@me/mfa/totp/enable", ["code": h.code(secret, steps: 5), "password": alice.password], auth: alice.auth)
        #expect(wrong.status == 400)
        #expect(formErrors(wrong) == [FormError(path: "code", code: "INVALID_MFA_CODE")])
        #expect(h.me(alice)["mfa_enabled"] as? Bool == false)
        #expect(try h.userRow(alice).blob("totp_secret") == nil)

        // Sudo first: no password → 403, a wrong password → 400 (the code is right both times).
        let noProof = h.post("/users/@me/mfa/totp/enable", ["code": h.code(secret)], auth: alice.auth)
        #expect(noProof.status == 403 && errorCode(noProof) == "SUDO_MODE_REQUIRED")
        #expect(jsonObject(noProof.body)["has_mfa"] as? Bool == false)
        let badPassword = h.post("/users/@me/mfa/totp/enable", ["code": h.code(secret), "password": "wrong password!"], auth: alice.auth)
        #expect(formErrors(badPassword) == [FormError(path: "password", code: "INVALID_PASSWORD")])
        #expect(h.me(alice)["mfa_enabled"] as? Bool == false)

        let enabled = h.post("/users/@me/mfa/totp/enable", ["code": h.code(secret), "password": alice.password], auth: alice.auth)
        #expect(enabled.status == 200, "\(enabled.body)")
        #expect(enabled.header("Cache-Control") == "no-store")
        #expect(enabled.header(SudoToken.header) == nil, "enable does not issue a sudo token")
        let codes = try #require(jsonObject(enabled.body)["backup_codes"] as? [[String: Any]])
        #expect(codes.count == 10)
        let plain = codes.compactMap { $0["code"] as? String }
        #expect(Set(plain).count == 10)
        #expect(plain.allSatisfy { $0.wholeMatch(of: /[a-z0-9]{4}-[a-z0-9]{4}/) != nil }, "\(plain)")
        #expect(codes.allSatisfy { $0["consumed"] as? Bool == false })

        let me = h.me(alice)
        #expect(me["mfa_enabled"] as? Bool == true)
        #expect(me["authenticator_types"] as? [Int] == [0])
        #expect(try h.count("mfa_pending_totp") == 0)

        // TO-05 / RC-01: the secret is sealed and the backup codes are keyed hashes.
        let stored = try #require(try h.userRow(alice).blob("totp_secret"))
        #expect(stored != secret && stored.count > secret.count)
        #expect(!Data(stored).contains(Data(secret)))
        #expect(!Data(stored).contains(Data(secretText.utf8)))
        let hashes = try h.database.read { db in
            try db.query("SELECT code_hash FROM mfa_backup_codes WHERE user_id = ?", alice.userID).compactMap { $0.blob("code_hash") }
        }
        #expect(hashes.count == 10)
        for code in plain {
            #expect(!hashes.contains { Data($0).contains(Data(code.utf8)) || Data($0).contains(Data(code.replacingOccurrences(of: "-", with: "").utf8)) })
        }

        // Enabling twice, or setting up again: MFA_NOT_DISABLED.
        h.clock.advance(milliseconds: 30_000)
        let twice = h.post("/users/@me/mfa/totp/enable", ["secret": Base32.encode(TOTP.generateSecret()), "code": h.code(secret),
                                                          "mfa_method": "totp", "mfa_code": h.code(secret)], auth: alice.auth)
        #expect(twice.status == 400 && errorCode(twice) == "MFA_NOT_DISABLED", "\(twice.body)")
        #expect(errorCode(h.post("/users/@me/mfa/totp/setup", auth: alice.auth)) == "MFA_NOT_DISABLED")

        // And the secret works for login (a newer step).
        let ticket = try h.ticket(alice)
        let login = h.loginTOTP(ticket, h.code(secret))
        #expect(login.status == 200, "\(login.body)")
    }

    @Test func enable_clientGeneratedSecret() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let bob = try h.register("bob")
        for bad in ["not base32!", Base32.encode([UInt8](repeating: 1, count: 10)), Base32.encode([UInt8](repeating: 1, count: 65))] {
            let r = h.post("/users/@me/mfa/totp/enable", ["secret": bad, "code": "123456", "password": bob.password], auth: bob.auth)
            #expect(formErrors(r) == [FormError(path: "secret", code: "INVALID_FORMAT")], "\(bad): \(r.body)")
        }
        // No setup and no secret: refused.
        let none = h.post("/users/@me/mfa/totp/enable", ["code": "123456", "password": bob.password], auth: bob.auth)
        #expect(none.status == 400 && h.me(bob)["mfa_enabled"] as? Bool == false)
        // A code for another secret: refused.
        let secret = TOTP.generateSecret()
        let other = h.post("/users/@me/mfa/totp/enable", ["secret": Base32.encode(secret), "code": h.code(TOTP.generateSecret()),
                                                          "password": bob.password], auth: bob.auth)
        #expect(formErrors(other) == [FormError(path: "code", code: "INVALID_MFA_CODE")])

        let ok = h.post("/users/@me/mfa/totp/enable", ["secret": Base32.encode(secret), "code": h.code(secret), "password": bob.password],
                        auth: bob.auth)
        #expect(ok.status == 200, "\(ok.body)")
        #expect((jsonObject(ok.body)["backup_codes"] as? [Any])?.count == 10)
        #expect(h.me(bob)["authenticator_types"] as? [Int] == [0])
    }

    /// TO-02, TO-06: the app clock decides; one step (30 s) either way is accepted, two steps are not.
    @Test func window_edges() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let carol = try h.totpUser("carol")
        let secret = try #require(carol.secret)
        h.clock.advance(milliseconds: 20 * 30_000)

        let minus60 = h.loginTOTP(try h.ticket(carol), h.code(secret, steps: -2))
        #expect(isInvalidCode(minus60), "−60 s: \(minus60.body)")
        let plus60 = h.loginTOTP(try h.ticket(carol), h.code(secret, steps: 2))
        #expect(isInvalidCode(plus60), "+60 s: \(plus60.body)")
        let minus30 = h.loginTOTP(try h.ticket(carol), h.code(secret, steps: -1))
        #expect(minus30.status == 200, "−30 s: \(minus30.body)")
        let plus30 = h.loginTOTP(try h.ticket(carol), h.code(secret, steps: 1))
        #expect(plus30.status == 200, "+30 s: \(plus30.body)")

        // The same windows in clock terms: a code read at t is good at t + 30 s and dead at t + 60 s.
        h.clock.advance(milliseconds: 10 * 30_000)
        let read = h.code(secret)
        h.clock.advance(milliseconds: 60_000)
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(carol), read)), "a code 60 s old")
        h.clock.advance(milliseconds: -30_000)
        #expect(h.loginTOTP(try h.ticket(carol), read).status == 200, "a code 30 s old")

        // A malformed code is just wrong.
        for bad in ["", "12345", "1234567", "12 345", "abcdef", "１２３４５６"] {
            #expect(isInvalidCode(h.loginTOTP(try h.ticket(carol), bad)), "\(bad)")
        }
    }

    /// TO-03: a code is accepted once; an older code from the window is refused after a newer one.
    @Test func replay_refused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let dave = try h.totpUser("dave")
        let secret = try #require(dave.secret)
        let code = h.freshCode(dave)
        #expect(h.loginTOTP(try h.ticket(dave), code).status == 200)
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(dave), code)), "the same code again")
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(dave), h.code(secret, steps: -1))), "an older code of the window")
        // The used code is refused as a sudo proof too.
        let sudo = h.post("/users/@me/mfa/backup-codes", ["regenerate": true, "mfa_method": "totp", "mfa_code": code], auth: dave.auth)
        #expect(formErrors(sudo) == [FormError(path: "mfa_code", code: "INVALID_MFA_CODE")])
        // The next step's code works (here 30 s early, inside the window), after which the current one is old.
        #expect(h.loginTOTP(try h.ticket(dave), h.code(secret, steps: 1)).status == 200)
        h.clock.advance(milliseconds: 30_000)
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(dave), h.code(secret))))
        h.clock.advance(milliseconds: 30_000)
        #expect(h.loginTOTP(try h.ticket(dave), h.code(secret)).status == 200)
    }

    /// RC-01: a backup code works once (in any case), and regenerating kills the old set.
    @Test func backupCodes_singleUse_andRegenerated() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let erin = try h.totpUser("erin")
        let codes = erin.backupCodes
        #expect(h.loginTOTP(try h.ticket(erin), codes[0]).status == 200)
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(erin), codes[0])), "second use")
        #expect(h.loginTOTP(try h.ticket(erin), codes[1].uppercased()).status == 200, "upper case")
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(erin), codes[1])))
        #expect(h.loginTOTP(try h.ticket(erin), codes[2].replacingOccurrences(of: "-", with: "")).status == 200, "without the dash")
        #expect(try h.count("mfa_backup_codes", where: "consumed_at IS NOT NULL") == 3)
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(erin), "zzzz-zzzz")))

        // A backup code is also a sudo proof, once.
        let sudo = h.post("/users/@me/mfa/backup-codes", ["regenerate": true, "mfa_method": "totp", "mfa_code": codes[3]], auth: erin.auth)
        #expect(sudo.status == 200, "\(sudo.body)")
        #expect(sudo.header(SudoToken.header) != nil)
        let fresh = try #require(jsonObject(sudo.body)["backup_codes"] as? [[String: Any]]).compactMap { $0["code"] as? String }
        #expect(fresh.count == 10 && Set(fresh).isDisjoint(with: codes))
        #expect(try h.count("mfa_backup_codes") == 10 && h.count("mfa_backup_codes", where: "consumed_at IS NOT NULL") == 0)
        // The old set is gone; the new one works.
        #expect(isInvalidCode(h.loginTOTP(try h.ticket(erin), codes[4])))
        #expect(h.loginTOTP(try h.ticket(erin), fresh[0]).status == 200)
        // regenerate must be true: they cannot be shown again.
        let show = h.post("/users/@me/mfa/backup-codes", ["regenerate": false], auth: erin.auth)
        #expect(formErrors(show) == [FormError(path: "regenerate", code: "INVALID_FORMAT")])
    }

    @Test func disable_needsACodeAndSudo() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        var fay = try h.totpUser("fay")
        let secret = try #require(fay.secret)
        // Wrong body code (with a good sudo proof): refused, still on.
        let wrong = h.post("/users/@me/mfa/totp/disable", merged(["code": h.code(secret, steps: 5)], h.totpProof(fay)), auth: fay.auth)
        #expect(formErrors(wrong) == [FormError(path: "code", code: "INVALID_MFA_CODE")], "\(wrong.body)")
        #expect(h.me(fay)["mfa_enabled"] as? Bool == true)
        #expect(wrong.header(SudoToken.header) == nil, "no sudo token with a refused answer")
        // Password only: 403 has_mfa.
        let password = h.post("/users/@me/mfa/totp/disable", ["code": fay.backupCodes[0], "password": fay.password], auth: fay.auth)
        #expect(password.status == 403 && jsonObject(password.body)["has_mfa"] as? Bool == true)
        // A backup code in the body, a TOTP code as the proof.
        let off = h.post("/users/@me/mfa/totp/disable", merged(["code": fay.backupCodes[0]], h.totpProof(fay)), auth: fay.auth)
        #expect(off.status == 204, "\(off.body)")
        let me = h.me(fay)
        #expect(me["mfa_enabled"] as? Bool == false && me["authenticator_types"] as? [Int] == [])
        #expect(try h.userRow(fay).blob("totp_secret") == nil)
        #expect(try h.count("mfa_backup_codes") == 0)
        #expect(errorCode(h.post("/users/@me/mfa/totp/disable", ["code": "123456"], auth: fay.auth)) == "MFA_NOT_ENABLED")
        // Login is a plain login again; and TOTP can be enabled anew.
        #expect(jsonObject(h.login(fay).body)["token"] is String)
        fay.secret = nil
        try h.enableTOTP(&fay)
        #expect(h.me(fay)["authenticator_types"] as? [Int] == [0])
    }
}
