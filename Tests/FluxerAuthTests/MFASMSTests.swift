import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// Phone numbers and SMS MFA over HTTP: E.164 validation, phone verification, SMS enable preconditions, SMS
/// login, code expiry and attempt limits, binding to the login ticket, resend, send throttling, and TOTP
/// disable taking SMS with it (SM-01, SM-02, SM-03, SM-04).
@Suite struct MFASMSTests {
    static let phone = "+14155550123"

    @Test func phone_e164Validation() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        for bad in ["14155550123", "+04155550123", "+123456", "+1234567890123456", "+1 415 555 0123", "+1415555012a", "", "+",
                    "++14155550123", "+١٤١٥٥٥٥٠١٢٣"] {
            let r = h.post("/users/@me/phone/send-verification", ["phone": bad], auth: alice.auth)
            #expect(r.status == 400 && formErrors(r) == [FormError(path: "phone", code: "PHONE_NUMBER_INVALID_FORMAT")], "\(bad): \(r.body)")
            let v = h.post("/users/@me/phone/verify", ["phone": bad, "code": "123456"], auth: alice.auth)
            #expect(v.status == 400, "\(bad)")
        }
        #expect(try h.count("outbox", where: "channel = 'sms'") == 0)
        #expect(h.post("/users/@me/phone/send-verification", ["phone": "+1234567"], auth: alice.auth).status == 204, "7 digits")
        #expect(h.post("/users/@me/phone/send-verification", ["phone": "+123456789012345"], auth: alice.auth).status == 204, "15 digits")
        // Not for anonymous callers.
        #expect(h.post("/users/@me/phone/send-verification", ["phone": Self.phone]).status == 401)
    }

    @Test func phoneVerification_thenSetPhone_withSudo() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        #expect(h.post("/users/@me/phone/send-verification", ["phone": Self.phone], auth: alice.auth).status == 204)
        let sms = try h.database.read { db in try db.queryOne("SELECT channel, recipient, kind, body FROM outbox WHERE channel = 'sms'") }
        #expect(sms?.string("recipient") == Self.phone && sms?.string("kind") == "sms_phone_verification")
        let code = try h.lastSMSCode(to: Self.phone)
        #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        // SM-04: the stored code is a keyed hash.
        let stored = try h.database.read { db in try db.queryOne("SELECT code_hash FROM sms_codes")?.blob("code_hash") }
        #expect(stored != nil && !Data(stored!).contains(Data(code.utf8)))

        // A wrong code, the right code for another phone: refused.
        let wrongCode = code == "000000" ? "000001" : "000000"
        #expect(formErrors(h.post("/users/@me/phone/verify", ["phone": Self.phone, "code": wrongCode], auth: alice.auth))
            == [FormError(path: "code", code: "INVALID_CODE")])
        #expect(h.post("/users/@me/phone/verify", ["phone": "+14155550999", "code": code], auth: alice.auth).status == 400)
        let verified = h.post("/users/@me/phone/verify", ["phone": Self.phone, "code": code], auth: alice.auth)
        #expect(verified.status == 200, "\(verified.body)")
        let token = try #require(jsonObject(verified.body)["phone_token"] as? String)
        // Single use.
        #expect(h.post("/users/@me/phone/verify", ["phone": Self.phone, "code": code], auth: alice.auth).status == 400)

        // Setting the phone is a sudo action: the password alone is not enough for a TOTP user.
        let passwordOnly = try h.expectUnchanged("password only") {
            h.post("/users/@me/phone", ["phone_token": token, "password": alice.password], auth: alice.auth)
        }
        #expect(passwordOnly.status == 403 && jsonObject(passwordOnly.body)["has_mfa"] as? Bool == true)
        let set = h.post("/users/@me/phone", merged(["phone_token": token], h.totpProof(alice)), auth: alice.auth)
        #expect(set.status == 204, "\(set.body)")
        #expect(h.me(alice)["phone"] as? String == Self.phone)
        // The phone token was single use; another user cannot use one either.
        let again = h.post("/users/@me/phone", merged(["phone_token": token], h.totpProof(alice)), auth: alice.auth)
        #expect(formErrors(again) == [FormError(path: "phone_token", code: "INVALID_PHONE_TOKEN")])
        let bob = try h.register("bob")
        let bobToken = try h.phoneToken(bob, phone: "+442071838750")
        let stolen = h.post("/users/@me/phone", merged(["phone_token": bobToken], h.totpProof(alice)), auth: alice.auth)
        #expect(formErrors(stolen) == [FormError(path: "phone_token", code: "INVALID_PHONE_TOKEN")])
        // Phone tokens live 15 minutes.
        h.clock.advance(milliseconds: 15 * 60_000)
        let late = h.post("/users/@me/phone", ["phone_token": bobToken, "password": bob.password], auth: bob.auth)
        #expect(formErrors(late) == [FormError(path: "phone_token", code: "INVALID_PHONE_TOKEN")])
    }

    @Test func smsEnable_preconditions() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        // No TOTP (even with a phone): SMS_MFA_REQUIRES_TOTP.
        let plain = try h.register("plain")
        try h.addPhone(plain, phone: Self.phone, enableSMS: false)
        let noTOTP = h.post("/users/@me/mfa/sms/enable", ["password": plain.password], auth: plain.auth)
        #expect(noTOTP.status == 400 && errorCode(noTOTP) == "SMS_MFA_REQUIRES_TOTP")
        // TOTP but no phone: PHONE_REQUIRED_FOR_SMS_MFA.
        let alice = try h.totpUser("alice")
        let noPhone = h.post("/users/@me/mfa/sms/enable", h.totpProof(alice), auth: alice.auth)
        #expect(noPhone.status == 400 && errorCode(noPhone) == "PHONE_REQUIRED_FOR_SMS_MFA")
        #expect(try h.userRow(alice).int("sms_mfa_enabled") == 0)

        // Both: enabled, without a sudo token (the real server opts SMS enable out).
        try h.addPhone(alice, phone: "+14155550177", enableSMS: false)
        let on = h.post("/users/@me/mfa/sms/enable", h.totpProof(alice), auth: alice.auth)
        #expect(on.status == 204 && on.header(SudoToken.header) == nil)
        #expect(h.me(alice)["authenticator_types"] as? [Int] == [0, 1])
        #expect(jsonObject(h.send("GET", "/users/@me/sudo/mfa-methods", auth: alice.auth).body)["sms"] as? Bool == true)
        // Removing the phone turns SMS off.
        #expect(h.send("DELETE", "/users/@me/phone", h.totpProof(alice), auth: alice.auth).status == 204)
        #expect(h.me(alice)["authenticator_types"] as? [Int] == [0])
        #expect(try h.userRow(alice).int("sms_mfa_enabled") == 0)
    }

    @Test func smsLogin_codeFromTheOutbox() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        try h.addPhone(alice, phone: Self.phone)
        let login = jsonObject(h.login(alice).body)
        #expect(login["allowed_methods"] as? [String] == ["totp", "sms"])
        #expect(login["sms_phone_hint"] as? String == "****0123")
        #expect(login["sms"] as? Bool == true && login["totp"] as? Bool == true)
        let ticket = try #require(login["ticket"] as? String)

        let sent = h.post("/auth/login/mfa/sms/send", ["ticket": ticket])
        #expect(sent.status == 204, "\(sent.body)")
        let kinds = try h.database.read { db in try db.query("SELECT kind FROM outbox WHERE channel = 'sms' ORDER BY id").compactMap { $0.string("kind") } }
        #expect(kinds.last == "sms_login_code")
        let code = try h.lastSMSCode(to: Self.phone)
        let wrong = h.post("/auth/login/mfa/sms", ["ticket": ticket, "code": code == "999999" ? "999998" : "999999"])
        #expect(isInvalidCode(wrong))
        let done = h.post("/auth/login/mfa/sms", ["ticket": ticket, "code": code])
        #expect(done.status == 200, "\(done.body)")
        #expect(jsonObject(done.body)["user_id"] as? String == alice.id)
        // Single use.
        let second = try h.ticket(alice)
        #expect(isInvalidCode(h.post("/auth/login/mfa/sms", ["ticket": second, "code": code])))
        // TOTP still works for the same ticket.
        #expect(h.loginTOTP(second, h.freshCode(alice)).status == 200)
        #expect(isTicketTimeout(h.post("/auth/login/mfa/sms/send", ["ticket": second]), path: "ticket"))
    }

    /// SM-01: a login code belongs to the ticket that asked for it. SM-02: a resend replaces the code.
    @Test func smsLogin_boundToTicket_andResendReplaces() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        try h.addPhone(alice, phone: Self.phone)
        let ticketA = try h.ticket(alice)
        let ticketB = try h.ticket(alice)
        #expect(h.post("/auth/login/mfa/sms/send", ["ticket": ticketA]).status == 204)
        let codeA = try h.lastSMSCode(to: Self.phone)
        #expect(isInvalidCode(h.post("/auth/login/mfa/sms", ["ticket": ticketB, "code": codeA])), "A's code through B")

        #expect(h.post("/auth/login/mfa/sms/send", ["ticket": ticketA]).status == 204)
        let codeA2 = try h.lastSMSCode(to: Self.phone)
        if codeA2 != codeA {
            #expect(isInvalidCode(h.post("/auth/login/mfa/sms", ["ticket": ticketA, "code": codeA])), "the replaced code")
        }
        #expect(h.post("/auth/login/mfa/sms", ["ticket": ticketA, "code": codeA2]).status == 200)
    }

    /// SM-01: codes live 10 minutes (sudo and phone verification; a login ticket itself lives only 5).
    @Test func smsCode_expiresAfterTenMinutes() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        try h.addPhone(alice, phone: Self.phone)

        #expect(h.post("/users/@me/sudo/mfa/sms/send", auth: alice.auth).status == 204)
        let early = try h.lastSMSCode(to: Self.phone)
        h.clock.advance(milliseconds: 10 * 60_000 - 1_000)
        let ok = h.post("/users/@me/mfa/backup-codes", ["regenerate": true, "mfa_method": "sms", "mfa_code": early], auth: alice.auth)
        #expect(ok.status == 200, "9:59 \(ok.body)")

        #expect(h.post("/users/@me/sudo/mfa/sms/send", auth: alice.auth).status == 204)
        let late = try h.lastSMSCode(to: Self.phone)
        h.clock.advance(milliseconds: 10 * 60_000)
        let expired = try h.expectUnchanged("expired sms sudo") {
            h.post("/users/@me/mfa/backup-codes", ["regenerate": true, "mfa_method": "sms", "mfa_code": late], auth: alice.auth)
        }
        #expect(formErrors(expired) == [FormError(path: "mfa_code", code: "INVALID_MFA_CODE")])

        let bob = try h.register("bob")
        #expect(h.post("/users/@me/phone/send-verification", ["phone": "+14155550999"], auth: bob.auth).status == 204)
        let verify = try h.lastSMSCode(to: "+14155550999")
        h.clock.advance(milliseconds: 10 * 60_000)
        #expect(h.post("/users/@me/phone/verify", ["phone": "+14155550999", "code": verify], auth: bob.auth).status == 400)
    }

    /// SM-01: five wrong tries kill a code (phone verification, sudo, login).
    @Test func smsCode_fiveWrongTries() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        try h.addPhone(alice, phone: Self.phone)

        #expect(h.post("/users/@me/sudo/mfa/sms/send", auth: alice.auth).status == 204)
        let sudoCode = try h.lastSMSCode(to: Self.phone)
        let wrong = sudoCode == "000000" ? "111111" : "000000"
        for _ in 1...5 {
            let r = h.post("/users/@me/mfa/backup-codes", ["regenerate": true, "mfa_method": "sms", "mfa_code": wrong], auth: alice.auth)
            #expect(formErrors(r) == [FormError(path: "mfa_code", code: "INVALID_MFA_CODE")])
        }
        let sixth = h.post("/users/@me/mfa/backup-codes", ["regenerate": true, "mfa_method": "sms", "mfa_code": sudoCode], auth: alice.auth)
        #expect(sixth.status == 400, "the right code after five wrong ones: \(sixth.body)")

        let bob = try h.register("bob")
        let bobPhone = "+14155550999"
        #expect(h.post("/users/@me/phone/send-verification", ["phone": bobPhone], auth: bob.auth).status == 204)
        let verify = try h.lastSMSCode(to: bobPhone)
        let wrongVerify = verify == "000000" ? "111111" : "000000"
        for _ in 1...5 { #expect(h.post("/users/@me/phone/verify", ["phone": bobPhone, "code": wrongVerify], auth: bob.auth).status == 400) }
        #expect(h.post("/users/@me/phone/verify", ["phone": bobPhone, "code": verify], auth: bob.auth).status == 400)

        // Login: the ticket dies with the fifth wrong code.
        let ticket = try h.ticket(alice)
        #expect(h.post("/auth/login/mfa/sms/send", ["ticket": ticket]).status == 204)
        let loginCode = try h.lastSMSCode(to: Self.phone)
        let wrongLogin = loginCode == "000000" ? "111111" : "000000"
        for _ in 1...5 { #expect(isInvalidCode(h.post("/auth/login/mfa/sms", ["ticket": ticket, "code": wrongLogin]))) }
        #expect(isTicketTimeout(h.post("/auth/login/mfa/sms", ["ticket": ticket, "code": loginCode])))
    }

    /// SM-02: a resend must not reset the failure counter, or five tries per send become unlimited tries.
    @Test func smsResend_keepsTheFailureCount() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let bob = try h.register("bob")
        let phone = "+14155550999"
        #expect(h.post("/users/@me/phone/send-verification", ["phone": phone], auth: bob.auth).status == 204)
        let first = try h.lastSMSCode(to: phone)
        for _ in 1...5 {
            #expect(h.post("/users/@me/phone/verify", ["phone": phone, "code": first == "000000" ? "111111" : "000000"], auth: bob.auth).status == 400)
        }
        #expect(h.post("/users/@me/phone/send-verification", ["phone": phone], auth: bob.auth).status == 204)
        let second = try h.lastSMSCode(to: phone)
        #expect(h.post("/users/@me/phone/verify", ["phone": phone, "code": second], auth: bob.auth).status == 400,
                "five failures already spent on this phone within the code lifetime")
        // Once the window has passed, a new code works.
        h.clock.advance(milliseconds: 10 * 60_000)
        #expect(h.post("/users/@me/phone/send-verification", ["phone": phone], auth: bob.auth).status == 204)
        #expect(h.post("/users/@me/phone/verify", ["phone": phone, "code": try h.lastSMSCode(to: phone)], auth: bob.auth).status == 200)
    }

    /// Issue 12 should-fix "SMS sends to any number are limited only per user and per number: add per-IP and
    /// global budgets" (SM-03). One address sending to fresh numbers from fresh accounts is stopped by its own
    /// budget (its /64 for IPv6); many addresses by the instance's. A refused send stores no code and queues
    /// no message.
    @Test func smsSends_limitedPerIPAndGlobally() throws {
        let h = try MFAHarness { config in
            config.trustedProxies = ["127.0.0.1"]
            config.smsSendIPLimit = RateLimit(3, per: 60 * 60_000)
            config.smsSendGlobalLimit = RateLimit(5, per: 60 * 60_000)
        }
        defer { h.stop() }
        func send(_ user: MFAUser, _ n: Int, from address: String) -> TestResponse {
            h.post("/users/@me/phone/send-verification", ["phone": "+1415555\(String(1000 + n))"], auth: user.auth,
                   headers: [("X-Forwarded-For", address)])
        }
        let users = try (0..<6).map { try h.register("sender\($0)") }
        for n in 0..<3 { #expect(send(users[n], n, from: "2001:db8:7:7::\(n + 1)").status == 204) }
        let outbox = try h.count("outbox", where: "kind = 'sms_phone_verification'")
        let codes = try h.count("sms_codes")
        let perIP = send(users[3], 3, from: "2001:db8:7:7:ffff::9")
        #expect(perIP.status == 429 && jsonObject(perIP.body)["code"] as? String == "RATE_LIMITED", "\(perIP.body)")
        #expect(perIP.header("Retry-After") == "1200")
        #expect(try h.count("outbox", where: "kind = 'sms_phone_verification'") == outbox && h.count("sms_codes") == codes)
        // Other addresses go on, until the instance's budget (5) is spent.
        #expect(send(users[3], 3, from: "203.0.113.1").status == 204)
        #expect(send(users[4], 4, from: "203.0.113.2").status == 204)
        let global = send(users[5], 5, from: "203.0.113.3")
        #expect(global.status == 429 && jsonObject(global.body)["code"] as? String == "RATE_LIMITED", "\(global.body)")
        #expect(try h.count("outbox", where: "kind = 'sms_phone_verification'") == outbox + 2)
        // The instance budget refills one send per 12 minutes.
        h.clock.advance(milliseconds: 12 * 60_000)
        #expect(send(users[5], 5, from: "203.0.113.3").status == 204)
        #expect(send(users[5], 6, from: "203.0.113.3").status == 429)
    }

    /// SM-03: sends are throttled per user and per phone (5 per 15 minutes by default).
    @Test func smsSends_throttled() throws {
        let h = try MFAHarness { $0.smsSendLimit = RateLimit(5, per: 15 * 60_000) }
        defer { h.stop() }
        let alice = try h.register("alice")
        for i in 1...5 {
            #expect(h.post("/users/@me/phone/send-verification", ["phone": "+1415555010\(i)"], auth: alice.auth).status == 204)
        }
        let limited = h.post("/users/@me/phone/send-verification", ["phone": "+14155550109"], auth: alice.auth)
        #expect(limited.status == 429 && errorCode(limited) == "RATE_LIMITED", "\(limited.body)")
        #expect(try h.smsCodes(to: "+14155550109").isEmpty)
        // Per phone: another user texting a number that already had five.
        let bob = try h.register("bob")
        let perPhone = h.post("/users/@me/phone/send-verification", ["phone": "+14155550101"], auth: bob.auth)
        #expect(perPhone.status == 204, "one text to this number so far")
        for _ in 1...4 { _ = h.post("/users/@me/phone/send-verification", ["phone": "+14155550101"], auth: bob.auth) }
        let carol = try h.register("carol")
        #expect(h.post("/users/@me/phone/send-verification", ["phone": "+14155550101"], auth: carol.auth).status == 429)
        // After the window, allowed again.
        h.clock.advance(milliseconds: 15 * 60_000)
        #expect(h.post("/users/@me/phone/send-verification", ["phone": "+14155550109"], auth: alice.auth).status == 204)

        // Login sends count against the user too.
        var dave = try h.register("dave")
        try h.enableTOTP(&dave)
        try h.addPhone(dave, phone: "+14155550160")
        let ticket = try h.ticket(dave)
        var statuses: [Int] = []
        for _ in 1...5 { statuses.append(h.post("/auth/login/mfa/sms/send", ["ticket": ticket]).status) }
        #expect(statuses.filter { $0 == 204 }.count == 4, "one send was the phone verification: \(statuses)")
        #expect(statuses.last == 429)
    }

    @Test func totpDisable_removesSMSAndBackupCodes() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        try h.addPhone(alice, phone: Self.phone)
        #expect(h.me(alice)["authenticator_types"] as? [Int] == [0, 1])
        let off = h.post("/users/@me/mfa/totp/disable", merged(["code": alice.backupCodes[0]], h.totpProof(alice)), auth: alice.auth)
        #expect(off.status == 204, "\(off.body)")
        let me = h.me(alice)
        #expect(me["authenticator_types"] as? [Int] == [] && me["mfa_enabled"] as? Bool == false)
        #expect(me["phone"] as? String == Self.phone, "the phone stays; only the factor goes")
        #expect(try h.userRow(alice).int("sms_mfa_enabled") == 0)
        #expect(try h.count("mfa_backup_codes") == 0)
        #expect(jsonObject(h.login(alice).body)["token"] is String)
        let methods = jsonObject(h.send("GET", "/users/@me/sudo/mfa-methods", auth: alice.auth).body)
        #expect(methods["sms"] as? Bool == false && methods["has_mfa"] as? Bool == false)
        #expect(errorCode(h.post("/users/@me/sudo/mfa/sms/send", auth: alice.auth)) == "SMS_MFA_NOT_ENABLED")
    }
}
