import FluxerCrypto
import FluxerPersistence
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// A tiny PNG and GIF (only their signatures matter here), base64.
let pngBase64 = Base64.encode([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
let gifBase64 = Base64.encode(Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0])

/// The rows an update must leave alone when it fails: accounts (users, sessions, tokens, outbox) and email links.
func accountState(_ h: AccountsHarness) throws -> [String] {
    let accounts = try h.snapshot()
    let links = try h.database.read { db in
        try db.query("SELECT * FROM email_change_tokens ORDER BY token_hash").map { row in
            zip(row.columnNames, row.values).map { "\($0)=\($1)" }.joined(separator: " ")
        }
    }
    // A session's use time moves on its own (the touch queue) whenever the clock has moved; it is not a change.
    let sessions = accounts.sessions.map { $0.replacingOccurrences(of: #"last_used_at=\S+"#, with: "", options: .regularExpression) }
    return accounts.users + sessions + accounts.emailTokens + accounts.outbox + links
}

/// `PATCH /users/@me`, email change and revert, username suggestions.
@Suite struct UserUpdateTests {
    /// The token of the newest `kind` email to `recipient`, after `marker`.
    func mailedToken(_ h: AccountsHarness, kind: String, to recipient: String, marker: String) throws -> String {
        let body = try #require(try h.emails(kind: kind, to: recipient).last)
        return try #require(AccountsHarness.token(in: body, marker: marker))
    }

    func patch(_ h: AccountsHarness, _ body: [String: Any], auth: String?) -> TestResponse {
        h.request("PATCH", "/users/@me", json: jsonText(body), auth: auth)
    }

    // MARK: - Profile fields

    @Test func profileFields_needNoSudo_andShowAtOnce() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "prof@example.com", username: "prof", globalName: "Prof")
        #expect(jsonObject(h.me(a.token))?["global_name"] as? String == "Prof")  // now cached
        let response = patch(h, ["global_name": "  New Name ", "bio": "Hello\nthere", "avatar": "data:image/png;base64," + pngBase64,
                                 "banner": gifBase64], auth: a.token)
        #expect(response.status == 200, "\(response.body)")
        let body = try #require(jsonObject(response))
        #expect(body["global_name"] as? String == "New Name")
        #expect(body["bio"] as? String == "Hello\nthere")
        let avatar = try #require(body["avatar"] as? String)
        #expect(avatar.range(of: "^[0-9a-f]{32}$", options: .regularExpression) != nil)
        #expect((body["banner"] as? String)?.hasPrefix("a_") == true)
        // The same shape as GET /users/@me, which shows the change at once (the cached principal is dropped).
        let me = try #require(jsonObject(h.me(a.token)))
        #expect(Set(me.keys) == Set(body.keys))
        #expect(me["global_name"] as? String == "New Name")
        #expect(me["avatar"] as? String == avatar)

        let cleared = patch(h, ["global_name": NSNull(), "bio": NSNull(), "avatar": NSNull(), "banner": NSNull()], auth: a.token)
        #expect(cleared.status == 200)
        for key in ["global_name", "bio", "avatar", "banner"] { #expect(jsonObject(h.me(a.token))?[key] is NSNull, "\(key)") }
        // An empty body object changes nothing.
        let before = try accountState(h)
        #expect(patch(h, [:], auth: a.token).status == 200)
        #expect(try accountState(h) == before)
    }

    @Test func invalidBodies_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "inv@example.com", username: "inv")
        let cases: [(String, [String: Any], [FormError])] = [
            ("username too long", ["username": String(repeating: "u", count: 33), "password": a.password],
             [.init(path: "username", code: "USERNAME_LENGTH_INVALID")]),
            ("username empty", ["username": "", "password": a.password], [.init(path: "username", code: "USERNAME_LENGTH_INVALID")]),
            ("username characters", ["username": "bad name", "password": a.password], [.init(path: "username", code: "USERNAME_INVALID_CHARACTERS")]),
            ("username reserved", ["username": "everyone", "password": a.password], [.init(path: "username", code: "USERNAME_RESERVED_VALUE")]),
            ("username reserved term", ["username": "MyFluxer", "password": a.password],
             [.init(path: "username", code: "USERNAME_CANNOT_CONTAIN_RESERVED_TERMS")]),
            ("username not a string", ["username": 5], [.init(path: "username", code: "BASE_TYPE_INVALID")]),
            ("username null", ["username": NSNull()], [.init(path: "username", code: "BASE_TYPE_REQUIRED")]),
            // Fields this server ignores are still held to the document's types and ranges (Schemathesis found these).
            ("accent colour negative", ["accent_color": -864], [.init(path: "accent_color", code: "BASE_TYPE_INVALID")]),
            ("accent colour too big", ["accent_color": 16_777_216], [.init(path: "accent_color", code: "BASE_TYPE_INVALID")]),
            ("a flag null", ["has_unread_gift_inventory": NSNull()], [.init(path: "has_unread_gift_inventory", code: "BASE_TYPE_INVALID")]),
            ("a flag not a boolean", ["premium_badge_hidden": "yes"], [.init(path: "premium_badge_hidden", code: "BASE_TYPE_INVALID")]),
            ("pronouns too long", ["pronouns": String(repeating: "p", count: 41)], [.init(path: "pronouns", code: "BASE_TYPE_INVALID")]),
            ("discriminator too long", ["discriminator": "12345"], [.init(path: "discriminator", code: "INVALID_FORMAT")]),
            ("discriminator letters", ["discriminator": "12a"], [.init(path: "discriminator", code: "INVALID_FORMAT")]),
            ("discriminator zero", ["discriminator": "0"], [.init(path: "discriminator", code: "INVALID_FORMAT")]),
            ("global_name too long", ["global_name": String(repeating: "g", count: 33)], [.init(path: "global_name", code: "GLOBAL_NAME_LENGTH_INVALID")]),
            ("global_name blank", ["global_name": "   "], [.init(path: "global_name", code: "GLOBAL_NAME_LENGTH_INVALID")]),
            ("bio too long", ["bio": String(repeating: "b", count: 321)], [.init(path: "bio", code: "STRING_LENGTH_INVALID")]),
            ("avatar not an image", ["avatar": Base64.encode(Array("hello world".utf8))], [.init(path: "avatar", code: "INVALID_IMAGE_FORMAT")]),
            ("avatar not base64", ["avatar": "!!!"], [.init(path: "avatar", code: "INVALID_IMAGE_FORMAT")]),
            ("banner too large", ["banner": String(repeating: "A", count: 700_000)], [.init(path: "banner", code: "BASE64_LENGTH_INVALID")]),
            ("email invalid", ["email": "not-an-email", "password": a.password], [.init(path: "email", code: "INVALID_EMAIL_FORMAT")]),
            ("email and token", ["email": "x@example.com", "email_token": String(repeating: "a", count: 64)], [.init(path: "email", code: "INVALID_FORMAT")]),
            ("email_token malformed", ["email_token": "short"], [.init(path: "email_token", code: "INVALID_EMAIL_TOKEN")]),
            ("new_password short", ["new_password": "short", "password": a.password], [.init(path: "new_password", code: "PASSWORD_LENGTH_INVALID")]),
            ("new_password common", ["new_password": "password123", "password": a.password], [.init(path: "new_password", code: "PASSWORD_IS_TOO_COMMON")]),
            ("new_password without password", ["new_password": "a fresh passphrase"], [.init(path: "password", code: "PASSWORD_NOT_SET")]),
            ("several at once", ["username": "", "bio": String(repeating: "b", count: 321)],
             [.init(path: "username", code: "USERNAME_LENGTH_INVALID"), .init(path: "bio", code: "STRING_LENGTH_INVALID")]),
        ]
        for (label, body, errors) in cases {
            let before = try accountState(h)
            let response = patch(h, body, auth: a.token)
            #expect(response.status == 400, "\(label): \(response.body)")
            #expect(formErrors(response) == errors, "\(label): \(response.body)")
            #expect(try accountState(h) == before, "\(label) changed the database")
        }
        let notJSON = try h.expectNoChange("text body") { h.request("PATCH", "/users/@me", json: "{", auth: a.token) }
        #expect(formErrors(notJSON) == [.init(path: "root", code: "INVALID_JSON")])
    }

    @Test func callers_otherThanASession_refused() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let owner = h.user("owner")
        let (app, client) = h.confidentialApp(owner: owner)
        let (access, _) = try h.tokens(owner, client: client, scope: "identify email")
        let body = jsonText(["global_name": "Changed"])
        let cases: [(String, String?, Int, String)] = [
            ("no credential", nil, 401, "UNAUTHORIZED"),
            ("unknown session", "flx_" + String(repeating: "b", count: 36), 401, "UNAUTHORIZED"),
            ("bot token", app.botAuth, 403, "ACCESS_DENIED"),
            ("OAuth2 bearer", "Bearer " + access, 403, "ACCESS_DENIED"),
        ]
        for (label, auth, status, code) in cases {
            var headers: [(String, String)] = [("Content-Type", "application/json")]
            if let auth { headers.append(("Authorization", auth)) }
            let response = h.request("PATCH", "/users/@me", headers: headers, body: body)
            #expect(response.status == status, "\(label): \(response.body)")
            #expect(errorCode(response) == code, "\(label)")
        }
        let names = try h.database.read { db in try db.query("SELECT global_name FROM users").compactMap { $0.string("global_name") } }
        #expect(!names.contains("Changed"))
        // A session under `Bearer` is a session.
        let ok = h.request("PATCH", "/users/@me", headers: [("Content-Type", "application/json"), ("Authorization", "Bearer " + owner.token)], body: body)
        #expect(ok.status == 200)
    }

    // MARK: - Username and discriminator

    @Test func username_needsSudo_keepsDiscriminatorWhenFree() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "tag@example.com", username: "tagger")
        let before = try #require(jsonObject(h.me(a.token)))
        let discriminator = try #require(before["discriminator"] as? String)

        let noProof = try h.expectNoChange("no proof") { patch(h, ["username": "renamed", "global_name": "X"], auth: a.token) }
        #expect(noProof.status == 403)
        #expect(jsonObject(noProof)?["code"] as? String == "SUDO_MODE_REQUIRED")
        #expect(jsonObject(noProof)?["has_mfa"] as? Bool == false)
        let wrong = try h.expectNoChange("wrong password") { patch(h, ["username": "renamed", "password": "not my password"], auth: a.token) }
        #expect(wrong.status == 400)
        #expect(formErrors(wrong) == [.init(path: "password", code: "INVALID_PASSWORD")])

        let renamed = patch(h, ["username": "renamed", "password": a.password], auth: a.token)
        #expect(renamed.status == 200, "\(renamed.body)")
        #expect(jsonObject(renamed)?["username"] as? String == "renamed")
        #expect(jsonObject(renamed)?["discriminator"] as? String == discriminator)
        #expect(jsonObject(h.me(a.token))?["username"] as? String == "renamed")
        // A change of case keeps the tag; the same name is no change and needs no proof.
        #expect(jsonObject(patch(h, ["username": "Renamed", "password": a.password], auth: a.token))?["username"] as? String == "Renamed")
        #expect(patch(h, ["username": "Renamed"], auth: a.token).status == 200)
    }

    @Test func username_takenTag_drawsAnother_chosenTagMustBeFree() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "first@example.com", username: "samename")
        let b = try h.register(email: "second@example.com", username: "othername")
        let aTag = try #require(jsonObject(h.me(a.token))?["discriminator"] as? String)
        // b takes a's discriminator first, then a's name: the tag is taken, so another is drawn.
        let setTag = patch(h, ["discriminator": aTag, "password": b.password], auth: b.token)
        #expect(setTag.status == 200, "\(setTag.body)")
        #expect(jsonObject(setTag)?["discriminator"] as? String == aTag)
        let moved = patch(h, ["username": "SameName", "password": b.password], auth: b.token)
        #expect(moved.status == 200)
        #expect(jsonObject(moved)?["username"] as? String == "SameName")
        #expect(jsonObject(moved)?["discriminator"] as? String != aTag)
        // Asking for a's exact tag: taken.
        let taken = try h.expectNoChange("taken tag") {
            patch(h, ["username": "samename", "discriminator": aTag, "password": b.password], auth: b.token)
        }
        #expect(formErrors(taken) == [.init(path: "discriminator", code: "TAG_ALREADY_TAKEN")])
        let c = try h.register(email: "third@example.com", username: "third")
        let takenName = try h.expectNoChange("taken tag, new name") {
            patch(h, ["username": "SAMENAME", "discriminator": aTag, "password": c.password], auth: c.token)
        }
        #expect(formErrors(takenName) == [.init(path: "username", code: "TAG_ALREADY_TAKEN")])
        let free = patch(h, ["username": "SAMENAME", "discriminator": "1", "password": c.password], auth: c.token)
        if aTag != "0001" && jsonObject(moved)?["discriminator"] as? String != "0001" {
            #expect(free.status == 200)
            #expect(jsonObject(free)?["discriminator"] as? String == "0001")
        }
    }

    @Test func usernameChanges_limitedPerUser() throws {
        let h = try AccountsHarness { $0.usernameChangeLimit = RateLimit(2, per: 3_600_000) }
        defer { h.stop() }
        let a = try h.register(email: "often@example.com", username: "often")
        #expect(patch(h, ["username": "often1", "password": a.password], auth: a.token).status == 200)
        #expect(patch(h, ["username": "often2", "password": a.password], auth: a.token).status == 200)
        let limited = try h.expectNoChange("third change") { patch(h, ["username": "often3", "password": a.password], auth: a.token) }
        #expect(formErrors(limited) == [.init(path: "username", code: "USERNAME_CHANGED_TOO_MANY_TIMES")])
    }

    @Test func userWithMFA_provesWithAFactor_notThePassword() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "mfa@example.com", username: "mfauser")
        let secret = TOTP.generateSecret()
        let step = { UInt64(h.clock.now / 1000 / 30) }
        let enable = h.post("/users/@me/mfa/totp/enable", ["secret": Base32.encode(secret), "code": TOTP.code(secret: secret, counter: step()),
                                                          "password": a.password], auth: a.token)
        #expect(enable.status == 200, "\(enable.body)")
        let refused = try h.expectNoChange("password only") { patch(h, ["username": "mfa2", "password": a.password], auth: a.token) }
        #expect(refused.status == 403)
        #expect(jsonObject(refused)?["has_mfa"] as? Bool == true)
        h.clock.advance(milliseconds: 30_000)
        let ok = patch(h, ["username": "mfa2", "mfa_method": "totp", "mfa_code": TOTP.code(secret: secret, counter: step())], auth: a.token)
        #expect(ok.status == 200, "\(ok.body)")
        #expect(ok.header(SudoToken.header) != nil)
        // A new password also needs the current one, checked even though the factor proves sudo.
        h.clock.advance(milliseconds: 30_000)
        let wrongCurrent = try h.expectNoChange("wrong current password") {
            patch(h, ["new_password": "a fresh passphrase", "password": "not the password", "mfa_method": "totp",
                      "mfa_code": TOTP.code(secret: secret, counter: step())], auth: a.token)
        }
        #expect(formErrors(wrongCurrent) == [.init(path: "password", code: "INVALID_PASSWORD")])
    }

    // MARK: - Password

    @Test func newPassword_endsOtherSessionsAndGrants_keepsTheCaller() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "pw@example.com")
        let other = try h.loginToken(a)
        #expect(h.me(other).status == 200)
        h.clock.advance(milliseconds: 1_000)
        let response = patch(h, ["password": a.password, "new_password": "a fresh passphrase"], auth: a.token)
        #expect(response.status == 200, "\(response.body)")
        #expect(jsonObject(response)?["password_last_changed_at"] as? String == ISO8601.format(milliseconds: h.clock.now))
        #expect(h.me(a.token).status == 200)
        #expect(h.me(other).status == 401)
        #expect(h.login(a.email, a.password).status == 400)
        #expect(h.login(a.email, "a fresh passphrase").status == 200)
        #expect(try auditRows(h.running.app).filter { $0.event == "password.change" }.count == 1)
    }

    // MARK: - Email

    @Test func email_changesOnlyOnceProven_oldAddressCanRevert() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "old@example.com", username: "mover")
        let verify = try h.verificationToken(for: a.email)
        #expect(h.post("/auth/verify", ["token": verify], auth: a.token).status == 204)
        let other = try h.loginToken(a)

        let requested = patch(h, ["email": "New@Example.com", "password": a.password], auth: a.token)
        #expect(requested.status == 200, "\(requested.body)")
        #expect(jsonObject(requested)?["email"] as? String == "old@example.com")  // not yet
        let mail = try #require(try h.emails(kind: "email_change", to: "New@Example.com").last)
        let link = try #require(AccountsHarness.token(in: mail, marker: "/verify#token="))
        #expect(try h.count("email_change_tokens", where: "purpose = 'email_change'") == 1)
        // The token is stored hashed only.
        #expect(try h.count("email_change_tokens", where: "token_hash = '\(link)'") == 0)

        // Opening the link (no session needed) makes the change.
        #expect(h.post("/auth/verify", ["token": link]).status == 204)
        let me = try #require(jsonObject(h.me(a.token)))
        #expect(me["email"] as? String == "New@Example.com")
        #expect(me["verified"] as? Bool == true)
        #expect(h.post("/auth/verify", ["token": link]).status == 400)
        #expect(h.me(other).status == 200)  // an email change alone ends no session

        // The old address gets a revert link, and stays reserved meanwhile.
        let revertMail = try #require(try h.emails(kind: "email_revert", to: "old@example.com").last)
        #expect(revertMail.contains("New@Example.com"))
        let revert = try #require(AccountsHarness.token(in: revertMail, marker: "/wasntme#token="))
        let squat = h.post("/auth/register", AccountsHarness.registrationBody(email: "OLD@example.com"))
        #expect(formErrors(squat) == [.init(path: "email", code: "EMAIL_ALREADY_IN_USE")])

        let reverted = h.post("/auth/email-revert", ["token": revert, "password": "my own passphrase"])
        #expect(reverted.status == 200, "\(reverted.body)")
        let body = try #require(jsonObject(reverted))
        #expect(Set(body.keys) == ["token", "user_id"])
        #expect(body["user_id"] as? String == a.userID)
        let fresh = try #require(body["token"] as? String)
        for old in [a.token, other] { #expect(h.me(old).status == 401) }
        let restored = try #require(jsonObject(h.me(fresh)))
        #expect(restored["email"] as? String == "old@example.com")
        #expect(restored["verified"] as? Bool == true)
        #expect(h.login("old@example.com", "my own passphrase").status == 200)
        #expect(h.login("old@example.com", a.password).status == 400)
        // Spent.
        let again = try h.expectNoChange("spent revert link") { h.post("/auth/email-revert", ["token": revert, "password": "another passphrase"]) }
        #expect(formErrors(again) == [.init(path: "token", code: "INVALID_OR_EXPIRED_REVERT_TOKEN")])
    }

    @Test func emailToken_makesTheChange_onlyForItsUser() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "tok-a@example.com")
        let b = try h.register(email: "tok-b@example.com")
        #expect(patch(h, ["email": "tok-new@example.com", "password": a.password], auth: a.token).status == 200)
        let link = try mailedToken(h, kind: "email_change", to: "tok-new@example.com", marker: "/verify#token=")
        let stolen = try h.expectNoChange("another user's token") {
            patch(h, ["email_token": link, "password": b.password], auth: b.token)
        }
        #expect(formErrors(stolen) == [.init(path: "email_token", code: "INVALID_EMAIL_TOKEN")])
        let noSudo = try h.expectNoChange("no sudo") { patch(h, ["email_token": link], auth: a.token) }
        #expect(noSudo.status == 403)
        let changed = patch(h, ["email_token": link, "password": a.password], auth: a.token)
        #expect(changed.status == 200, "\(changed.body)")
        #expect(jsonObject(changed)?["email"] as? String == "tok-new@example.com")
        #expect(jsonObject(changed)?["verified"] as? Bool == true)
        // The old address was never proven: it gets no revert link.
        #expect(try h.emails(kind: "email_revert", to: "tok-a@example.com").isEmpty)
        let reused = try h.expectNoChange("reused token") { patch(h, ["email_token": link, "password": a.password], auth: a.token) }
        #expect(formErrors(reused) == [.init(path: "email_token", code: "INVALID_EMAIL_TOKEN")])
    }

    @Test func email_takenOrThrottled_changesNothing() throws {
        let h = try AccountsHarness { $0.emailChangeLimit = RateLimit(2, per: 3_600_000) }
        defer { h.stop() }
        let a = try h.register(email: "taken-a@example.com")
        _ = try h.register(email: "taken-b@example.com")
        let taken = try h.expectNoChange("address in use") { patch(h, ["email": "TAKEN-B@example.com", "password": a.password], auth: a.token) }
        #expect(formErrors(taken) == [.init(path: "email", code: "EMAIL_ALREADY_IN_USE")])
        let noSudo = try h.expectNoChange("no proof") { patch(h, ["email": "free@example.com"], auth: a.token) }
        #expect(errorCode(noSudo) == "SUDO_MODE_REQUIRED")
        // The same address (any case) is no change.
        #expect(patch(h, ["email": "Taken-A@example.com"], auth: a.token).status == 200)
        #expect(patch(h, ["email": "one@example.com", "password": a.password], auth: a.token).status == 200)
        #expect(patch(h, ["email": "two@example.com", "password": a.password], auth: a.token).status == 200)
        #expect(try h.count("email_change_tokens") == 1)  // a new request replaces the link still out
        let limited = try h.expectNoChange("third request") { patch(h, ["email": "three@example.com", "password": a.password], auth: a.token) }
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
    }

    @Test func emailRevert_failures_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let a = try h.register(email: "rv@example.com", username: "reverter")
        #expect(h.post("/auth/verify", ["token": try h.verificationToken(for: a.email)], auth: a.token).status == 204)
        #expect(patch(h, ["email": "rv-new@example.com", "password": a.password], auth: a.token).status == 200)
        let link = try mailedToken(h, kind: "email_change", to: "rv-new@example.com", marker: "/verify#token=")
        #expect(h.post("/auth/verify", ["token": link]).status == 204)
        let revert = try mailedToken(h, kind: "email_revert", to: a.email, marker: "/wasntme#token=")
        let unknown = String(repeating: "a", count: 64)
        let cases: [(String, [String: Any], [FormError])] = [
            ("no token", ["password": "a fine passphrase"], [.init(path: "token", code: "BASE_TYPE_REQUIRED")]),
            ("no password", ["token": revert], [.init(path: "password", code: "BASE_TYPE_REQUIRED")]),
            ("short password", ["token": revert, "password": "short"], [.init(path: "password", code: "PASSWORD_LENGTH_INVALID")]),
            ("common password", ["token": revert, "password": "password123"], [.init(path: "password", code: "PASSWORD_IS_TOO_COMMON")]),
            ("malformed token", ["token": "abc", "password": "a fine passphrase"], [.init(path: "token", code: "INVALID_OR_EXPIRED_REVERT_TOKEN")]),
            ("unknown token", ["token": unknown, "password": "a fine passphrase"], [.init(path: "token", code: "INVALID_OR_EXPIRED_REVERT_TOKEN")]),
            ("the change link", ["token": link, "password": "a fine passphrase"], [.init(path: "token", code: "INVALID_OR_EXPIRED_REVERT_TOKEN")]),
        ]
        for (label, body, errors) in cases {
            let before = try accountState(h)
            let response = h.post("/auth/email-revert", body)
            #expect(response.status == 400, "\(label): \(response.body)")
            #expect(formErrors(response) == errors, "\(label): \(response.body)")
            #expect(try accountState(h) == before, "\(label) changed the database")
        }
        h.clock.advance(milliseconds: 48 * 3_600_000)
        let expired = try h.expectNoChange("expired") { h.post("/auth/email-revert", ["token": revert, "password": "a fine passphrase"]) }
        #expect(formErrors(expired) == [.init(path: "token", code: "INVALID_OR_EXPIRED_REVERT_TOKEN")])
        #expect(jsonObject(h.me(a.token))?["email"] as? String == "rv-new@example.com")
    }

    // MARK: - Username suggestions

    @Test func usernameSuggestions_validAndFree() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let response = h.post("/auth/username-suggestions", ["global_name": "John Doe-Smith"])
        #expect(response.status == 200, "\(response.body)")
        let body = try #require(jsonObject(response))
        #expect(Set(body.keys) == ["suggestions"])
        let suggestions = try #require(body["suggestions"] as? [String])
        #expect(suggestions.first == "John_Doe_Smith")
        #expect((1...5).contains(suggestions.count))
        for s in suggestions { #expect(AccountValidation.username(s) == nil, "\(s)") }
        #expect(Set(suggestions.map { $0.lowercased() }).count == suggestions.count)
        // Nothing usable in the name: no suggestion.
        #expect(jsonObject(h.post("/auth/username-suggestions", ["global_name": "日本語"]))?["suggestions"] as? [String] == [])
        let cases: [(String, [String: Any], FormError)] = [
            ("missing", [:], .init(path: "global_name", code: "BASE_TYPE_REQUIRED")),
            ("not a string", ["global_name": 3], .init(path: "global_name", code: "BASE_TYPE_INVALID")),
            ("too long", ["global_name": String(repeating: "n", count: 33)], .init(path: "global_name", code: "GLOBAL_NAME_LENGTH_INVALID")),
            ("blank", ["global_name": "  "], .init(path: "global_name", code: "GLOBAL_NAME_LENGTH_INVALID")),
        ]
        for (label, body, error) in cases {
            let bad = h.post("/auth/username-suggestions", body)
            #expect(bad.status == 400, "\(label)")
            #expect(formErrors(bad) == [error], "\(label): \(bad.body)")
        }
    }
}
