import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
import FluxerDomain

/// Issue 12, must fix 4, "Pre-account hijack through password reset", and the should-fix "Unused authorization
/// codes survive password reset and the SSO claim". Someone registers the victim's address first and sets up
/// ways in (TOTP, a passkey, a phone, an application, sessions, OAuth2 grants). When the owner first proves the
/// address — a reset link, or the verification link opened without the registrant's session — all of it is
/// shut out, by the same function the SSO claim uses. Real sockets, real SQLite file.
@Suite struct PreAccountHijackTests {
    static let victim = "victim"
    static let phone = "+14155550177"

    /// The newest link token of `kind` mailed to `recipient`, read from the outbox.
    static func mailedToken(_ h: MFAHarness, kind: String, to recipient: String, marker: String) throws -> String {
        let body = try #require(try h.database.read { db in
            try db.queryOne("SELECT body FROM outbox WHERE kind = ? AND recipient = ? ORDER BY id DESC LIMIT 1", kind, recipient)?.string("body")
        }.flatMap(h.running.app.context.outbox.seal.open))
        return try #require(AccountsHarness.token(in: body, marker: marker))
    }

    /// The attacker's set-up on the victim's address: password, TOTP (and backup codes), a passkey, a phone with
    /// SMS MFA, an application (client secret, bot token), and a session.
    struct Planted {
        var user: MFAUser
        var key: SoftAuthenticator
        var appID: String
        var clientSecret: String
        var botToken: String
    }

    static func plant(_ h: MFAHarness) throws -> Planted {
        var attacker = try h.register(victim)
        try h.enableTOTP(&attacker)
        let key = SoftAuthenticator()
        try h.registerKey(attacker, key)
        try h.addPhone(attacker, phone: phone)
        let app = h.post("/oauth2/applications", ["name": "Planted", "redirect_uris": ["https://planted.example/cb"]], auth: attacker.auth)
        #expect(app.status == 200, "\(app.body)")
        let body = jsonObject(app.body)
        let planted = Planted(user: attacker, key: key, appID: try #require(body["id"] as? String),
                              clientSecret: try #require(body["client_secret"] as? String),
                              botToken: try #require((body["bot"] as? [String: Any])?["token"] as? String))
        let row = try h.userRow(attacker)
        #expect(row.bool("verified") == false && row.blob("totp_secret") != nil && row.string("phone") == phone)
        #expect(try h.count("webauthn_credentials") == 1 && h.count("mfa_backup_codes") > 0)
        return planted
    }

    /// Nothing the attacker planted works any more.
    static func expectShutOut(_ h: MFAHarness, _ planted: Planted, passwordGone: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let row = try h.userRow(planted.user)
        #expect(row.bool("verified") == true, sourceLocation: sourceLocation)
        #expect(row.blob("totp_secret") == nil && row.string("phone") == nil && row.int("sms_mfa_enabled") == 0, sourceLocation: sourceLocation)
        for table in ["webauthn_credentials", "mfa_backup_codes", "mfa_tickets", "sms_codes"] {
            #expect(try h.count(table, where: "user_id = \(planted.user.id)") == 0, "\(table)", sourceLocation: sourceLocation)
        }
        #expect(h.send("GET", "/users/@me", auth: planted.user.auth).status == 401, "the attacker's session", sourceLocation: sourceLocation)
        #expect(h.send("GET", "/users/@me", auth: "Bot " + planted.botToken).status == 401, "the bot token the attacker saw",
                sourceLocation: sourceLocation)
        let secretRow = try #require(try h.database.read { db in
            try db.queryOne("SELECT client_secret_hash FROM applications WHERE id = ?", Int64(planted.appID)!)
        }, sourceLocation: sourceLocation)
        #expect(secretRow.blob("client_secret_hash") != ClientSecret.hash(planted.clientSecret), sourceLocation: sourceLocation)
        // The attacker's passkey no longer signs in.
        let options = jsonObject(h.post("/auth/webauthn/authentication-options").body)
        let challenge = try h.challenge(of: options, sourceLocation: sourceLocation)
        let handle = withUnsafeBytes(of: UInt64(planted.user.id)!.bigEndian, Array.init)
        let passkey = h.post("/auth/webauthn/authenticate", ["response": MFAHarness.assertionJSON(planted.key, planted.key.assert(challenge: challenge),
                                                                                                  userHandle: handle),
                                                             "challenge": Base64URL.encode(challenge)])
        #expect(passkey.status == 400, "\(passkey.body)", sourceLocation: sourceLocation)
        if passwordGone {
            #expect(h.login(planted.user).status == 400, "the attacker's password", sourceLocation: sourceLocation)
        }
    }

    @Test func preAccountHijack_resetOfUnverifiedAccount_wipesWhatTheRegistrantSetUp() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let planted = try Self.plant(h)
        // The owner asks for a reset link and uses it. Before the fix the answer was an MFA ticket for the
        // attacker's TOTP, and the attacker's passkey, phone and application secrets survived.
        #expect(h.post("/auth/forgot", ["email": planted.user.email]).status == 204)
        usleep(100_000)
        let token = try Self.mailedToken(h, kind: "password_reset", to: planted.user.email, marker: "/reset#token=")
        let reset = h.post("/auth/reset", ["token": token, "password": "the owner's own password"])
        #expect(reset.status == 200, "\(reset.body)")
        let session = jsonObject(reset.body)
        #expect(session["mfa"] == nil && session["ticket"] == nil, "no ticket for the attacker's second factor: \(reset.body)")
        let ownerToken = try #require(session["token"] as? String)
        #expect(reset.header("Cache-Control") == "no-store")
        try Self.expectShutOut(h, planted, passwordGone: true)
        // The owner is in, with their own password.
        #expect(h.send("GET", "/users/@me", auth: ownerToken).status == 200)
        #expect(h.post("/auth/login", ["email": planted.user.email, "password": "the owner's own password"]).status == 200)
        h.running.app.context.audit.flush()
        #expect(try h.count("audit_events", where: "event = 'account.claimed_unverified' AND detail = 'password_reset_claimed_unverified_account'") == 1)
    }

    @Test func preAccountHijack_verificationWithoutTheRegistrantsSession_wipesWhatTheRegistrantSetUp() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let planted = try Self.plant(h)
        let token = try Self.mailedToken(h, kind: "verify_email", to: planted.user.email, marker: "/verify#token=")
        // The owner opens the link somewhere the attacker's account is not signed in.
        let verified = h.post("/auth/verify", ["token": token])
        #expect(verified.status == 204, "\(verified.body)")
        try Self.expectShutOut(h, planted, passwordGone: true)
        #expect(try h.userRow(planted.user).string("password_hash") == nil)
        // The owner takes the account with a reset (now an ordinary reset of a verified account).
        #expect(h.post("/auth/forgot", ["email": planted.user.email]).status == 204)
        usleep(100_000)
        let reset = try Self.mailedToken(h, kind: "password_reset", to: planted.user.email, marker: "/reset#token=")
        #expect(h.post("/auth/reset", ["token": reset, "password": "the owner's own password"]).status == 200)
    }

    /// The registrant verifying with its own session holds the mailbox: nothing is removed.
    @Test func verificationWithTheRegistrantsSession_keepsEverything() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        var user = try h.register("alice")
        try h.enableTOTP(&user)
        let key = SoftAuthenticator()
        try h.registerKey(user, key)
        let token = try Self.mailedToken(h, kind: "verify_email", to: user.email, marker: "/verify#token=")
        #expect(h.post("/auth/verify", ["token": token], auth: user.auth).status == 204)
        let row = try h.userRow(user)
        #expect(row.bool("verified") == true && row.blob("totp_secret") != nil && row.string("password_hash") != nil)
        #expect(try h.count("webauthn_credentials") == 1)
        #expect(h.send("GET", "/users/@me", auth: user.auth).status == 200)
    }

    /// Decision (issue 12): a passkey does not sign in to an account whose email nobody has proven; once the
    /// address is verified it does.
    @Test func passkeySignIn_refusedWhileTheEmailIsUnverified() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let user = try h.register("carol")
        let key = SoftAuthenticator()
        try h.registerKey(user, key)
        let handle = withUnsafeBytes(of: UInt64(user.id)!.bigEndian, Array.init)
        func passkey() throws -> TestResponse {
            let challenge = try h.challenge(of: jsonObject(h.post("/auth/webauthn/authentication-options").body))
            return h.post("/auth/webauthn/authenticate", ["response": MFAHarness.assertionJSON(key, key.assert(challenge: challenge), userHandle: handle),
                                                          "challenge": Base64URL.encode(challenge)])
        }
        let sessions = try h.count("sessions")
        let refused = try passkey()
        #expect(refused.status == 400 && formItems(refused).first?["code"] as? String == "PASSKEY_AUTHENTICATION_FAILED", "\(refused.body)")
        #expect(try h.count("sessions") == sessions)
        let token = try Self.mailedToken(h, kind: "verify_email", to: user.email, marker: "/verify#token=")
        #expect(h.post("/auth/verify", ["token": token], auth: user.auth).status == 204)
        let ok = try passkey()
        #expect(ok.status == 200, "\(ok.body)")
    }

    /// Should fix: "Unused authorization codes survive password reset and the SSO claim: delete them with the
    /// grants." A code issued before a reset no longer redeems after it; redeemed codes stay for replay checks.
    @Test func unusedAuthorizationCodes_surviveNoPasswordReset() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let owner = h.user("appowner")
        let (_, client) = h.confidentialApp(owner: owner)
        let carl = h.user("carl")
        try h.database.write { db in try db.run("UPDATE users SET verified = TRUE WHERE id = ?", Int64(carl.id)!) }
        let used = try h.code(carl, client: client)
        #expect(h.exchange(used, client: client).status == 200)
        let pending = try h.code(carl, client: client)
        #expect(try h.count("oauth2_codes", where: "used_at IS NULL") == 1)

        let forgot = h.request("POST", "/auth/forgot", headers: [("Content-Type", "application/json")], body: jsonText(["email": "carl@example.com"]))
        #expect(forgot.status == 204)
        usleep(100_000)
        let body = try #require(try h.database.read { db in
            try db.queryOne("SELECT body FROM outbox WHERE kind = 'password_reset' ORDER BY id DESC LIMIT 1")?.string("body")
        }.flatMap(h.running.app.context.outbox.seal.open))
        let token = try #require(AccountsHarness.token(in: body, marker: "/reset#token="))
        let reset = h.request("POST", "/auth/reset", headers: [("Content-Type", "application/json")],
                              body: jsonText(["token": token, "password": "a brand new password"]))
        #expect(reset.status == 200, "\(reset.body)")

        #expect(try h.count("oauth2_codes", where: "used_at IS NULL") == 0)
        #expect(try h.count("oauth2_codes") == 1, "the redeemed code stays")
        let late = h.exchange(pending, client: client)
        #expect(late.status == 400 && oauthError(late) == "invalid_grant", "\(late.body)")
        #expect(try h.count("oauth2_tokens", where: "user_id = \(carl.id)") == 0)
    }
}
