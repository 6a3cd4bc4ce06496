import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

@Suite struct RegisterTests {
    @Test func register_createsUserSessionAndVerificationEmail() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let response = h.post("/auth/register", AccountsHarness.registrationBody(email: "Alice.Smith@Example.com", username: "alice", globalName: "Alice"))
        #expect(response.status == 200)
        let object = try #require(jsonObject(response))
        #expect(Set(object.keys) == ["user_id", "token"])
        let userID = try #require(object["user_id"] as? String)
        let token = try #require(object["token"] as? String)
        #expect(UInt64(userID) != nil)
        #expect(token.hasPrefix("flx_") && token.count == 40)

        let row = try #require(try h.userRow(id: userID))
        #expect(row.string("email") == "Alice.Smith@Example.com")
        #expect(row.string("email_key") == "alice.smith@example.com")
        #expect(row.string("username") == "alice")
        #expect(row.string("global_name") == "Alice")
        #expect(row.bool("verified") == false)
        #expect(row.string("password_hash")?.hasPrefix("$argon2id$") == true)
        #expect(row.string("date_of_birth") == "1990-05-17")
        #expect(try h.count("sessions", where: "user_id = \(userID)") == 1)
        #expect(try h.count("email_tokens", where: "user_id = \(userID) AND purpose = 'verify_email'") == 1)

        let emails = try h.emails(kind: "verify_email", to: "Alice.Smith@Example.com")
        #expect(emails.count == 1)
        #expect(AccountsHarness.token(in: emails.first ?? "", marker: "/verify#token=") != nil)

        let me = h.me(token)
        #expect(me.status == 200)
        #expect(jsonObject(me)?["id"] as? String == userID)
    }

    @Test func register_duplicateEmail_caseInsensitive_isEmailAlreadyInUse() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        try h.register(email: "dup@example.com")
        for email in ["dup@example.com", "DUP@Example.COM"] {
            let response = try h.expectNoChange("duplicate \(email)") {
                h.post("/auth/register", AccountsHarness.registrationBody(email: email))
            }
            #expect(response.status == 400)
            #expect(formErrors(response) == [FormError(path: "email", code: "EMAIL_ALREADY_IN_USE")])
        }
    }

    @Test func register_sameEmailConcurrently_createsExactlyOneAccount() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let port = h.port
        let answers = concurrently(6) { i in
            let body = jsonText(AccountsHarness.registrationBody(email: i.isMultiple(of: 2) ? "race@example.com" : "RACE@example.com"))
            return TestClient.request(port: port, "POST", "/auth/register", headers: [("Content-Type", "application/json")], body: body)
        }
        #expect(answers.filter { $0.status == 200 }.count == 1, "\(answers.map(\.status))")
        for answer in answers where answer.status != 200 {
            #expect(formErrors(answer) == [FormError(path: "email", code: "EMAIL_ALREADY_IN_USE")], "\(answer.body)")
        }
        #expect(try h.count("users") == 1)
        #expect(try h.count("sessions") == 1)
        #expect(try h.count("outbox") == 1)
    }

    @Test func register_withoutEmailOrPassword_createsUnclaimedAccount_withoutEmail() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let response = h.post("/auth/register", AccountsHarness.registrationBody(email: nil, password: nil, globalName: "Just Me"))
        #expect(response.status == 200)
        let userID = try #require(jsonObject(response)?["user_id"] as? String)
        let row = try #require(try h.userRow(id: userID))
        #expect(row["email"] == .null)
        #expect(row["password_hash"] == .null)
        #expect(row.string("username") == "Just_Me")
        #expect(try h.count("outbox") == 0)
        #expect(try h.count("email_tokens") == 0)
    }

    /// Every validation failure answers 400 INVALID_FORM_BODY naming the field, and writes nothing.
    @Test func register_validationFailures_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        try h.register(email: "existing@example.com")
        let base = AccountsHarness.registrationBody(email: "new@example.com", username: "newbie")
        func with(_ key: String, _ value: Any?) -> [String: Any] {
            var body = base
            body[key] = value
            return body
        }
        let today = ISO8601.format(milliseconds: h.clock.now)
        let year = Int(today.prefix(4))!
        let twelve = "\(year - 12)" + today.dropFirst(4).prefix(6)
        let cases: [(String, [String: Any], [FormError])] = [
            ("missing date_of_birth", with("date_of_birth", nil), [.init(path: "date_of_birth", code: "BASE_TYPE_REQUIRED")]),
            ("missing consent", with("consent", nil), [.init(path: "consent", code: "CONSENT_REQUIRED")]),
            ("consent false", with("consent", false), [.init(path: "consent", code: "CONSENT_REQUIRED")]),
            ("consent wrong type", with("consent", "yes"), [.init(path: "consent", code: "BASE_TYPE_INVALID")]),
            ("email wrong type", with("email", 42), [.init(path: "email", code: "BASE_TYPE_INVALID")]),
            ("password wrong type", with("password", ["a"]), [.init(path: "password", code: "BASE_TYPE_INVALID")]),
            ("email too long", with("email", String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 186) + ".com"),
             [.init(path: "email", code: "EMAIL_LENGTH_INVALID")]),
            ("email empty", with("email", ""), [.init(path: "email", code: "EMAIL_LENGTH_INVALID")]),
            ("email without @", with("email", "nobody.example.com"), [.init(path: "email", code: "INVALID_EMAIL_FORMAT")]),
            ("email two @", with("email", "a@b@example.com"), [.init(path: "email", code: "INVALID_EMAIL_FORMAT")]),
            ("email no dot in domain", with("email", "a@localhost"), [.init(path: "email", code: "INVALID_EMAIL_FORMAT")]),
            ("email with space", with("email", "a b@example.com"), [.init(path: "email", code: "INVALID_EMAIL_FORMAT")]),
            ("password too short", with("password", "1234567"), [.init(path: "password", code: "PASSWORD_LENGTH_INVALID")]),
            ("password too long", with("password", String(repeating: "p", count: 257)), [.init(path: "password", code: "PASSWORD_LENGTH_INVALID")]),
            ("username too long", with("username", String(repeating: "u", count: 33)), [.init(path: "username", code: "USERNAME_LENGTH_INVALID")]),
            ("username bad characters", with("username", "no-dashes"), [.init(path: "username", code: "USERNAME_INVALID_CHARACTERS")]),
            ("username reserved", with("username", "everyone"), [.init(path: "username", code: "USERNAME_RESERVED_VALUE")]),
            ("username reserved term", with("username", "myFluxerName"), [.init(path: "username", code: "USERNAME_CANNOT_CONTAIN_RESERVED_TERMS")]),
            ("global_name too long", with("global_name", String(repeating: "g", count: 33)), [.init(path: "global_name", code: "GLOBAL_NAME_LENGTH_INVALID")]),
            ("date_of_birth format", with("date_of_birth", "17/05/1990"), [.init(path: "date_of_birth", code: "INVALID_DATE_OF_BIRTH_FORMAT")]),
            ("date_of_birth impossible", with("date_of_birth", "1990-02-30"), [.init(path: "date_of_birth", code: "INVALID_DATE_OF_BIRTH_FORMAT")]),
            ("date_of_birth twelve years", with("date_of_birth", twelve), [.init(path: "date_of_birth", code: "MUST_BE_MINIMUM_AGE")]),
            ("date_of_birth future", with("date_of_birth", "\(year + 1)-01-01"), [.init(path: "date_of_birth", code: "MUST_BE_MINIMUM_AGE")]),
            ("several at once", with("password", "short").merging(["email": "bad", "consent": false]) { $1 },
             [.init(path: "email", code: "INVALID_EMAIL_FORMAT"), .init(path: "password", code: "PASSWORD_LENGTH_INVALID"),
              .init(path: "consent", code: "CONSENT_REQUIRED")]),
        ]
        for (label, body, expected) in cases {
            let response = try h.expectNoChange(label) { h.post("/auth/register", body) }
            #expect(response.status == 400, "\(label)")
            #expect(errorCode(response) == "INVALID_FORM_BODY", "\(label)")
            #expect(formErrors(response) == expected, "\(label): \(response.body)")
        }
        // Exactly 13 today is old enough.
        let thirteen = "\(year - 13)" + today.dropFirst(4).prefix(6)
        #expect(h.post("/auth/register", with("date_of_birth", thirteen)).status == 200)
    }

    /// Every length rule at its limit is accepted (the limit + 1 cases are in the validation test).
    @Test func register_acceptsValuesAtTheirLimits() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let email = String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63)
            + "." + String(repeating: "d", count: 57) + ".com"
        #expect(email.count == 254)
        // 256 characters, not a short repeated block (PW-03 refuses those).
        let longPassword = String(String(repeating: "quiet lantern maple 7 ", count: 12).prefix(256))
        #expect(longPassword.count == 256)
        let long = try h.register(email: email, password: longPassword, username: String(repeating: "u", count: 32),
                                  globalName: String(repeating: "g", count: 32))
        #expect(h.login(email.uppercased(), longPassword).status == 200)
        #expect(jsonObject(h.me(long.token))?["email"] as? String == email)
        let short = try h.register(email: "s@ex.io", password: "k3#Rv9!x", username: "s", globalName: "S")
        #expect(h.login(short.email, "k3#Rv9!x").status == 200)
    }

    @Test func register_malformedBodies_andMediaType() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let valid = jsonText(AccountsHarness.registrationBody(email: "m@example.com"))
        let bodies: [(String, String, String)] = [
            ("not JSON", "{email:", "INVALID_JSON"),
            ("array", "[1,2]", "BASE_TYPE_INVALID"),
            ("empty", "", "BASE_TYPE_REQUIRED"),
        ]
        for (label, body, code) in bodies {
            let response = try h.expectNoChange(label) { h.request("POST", "/auth/register", json: body) }
            #expect(response.status == 400, "\(label)")
            #expect(formErrors(response).map(\.code) == [code], "\(label): \(response.body)")
        }
        for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let response = try h.expectNoChange(contentType) {
                h.request("POST", "/auth/register", json: valid, headers: [("Content-Type", contentType)])
            }
            #expect(response.status == 415, "\(contentType)")
            #expect(errorCode(response) == "UNSUPPORTED_MEDIA_TYPE")
        }
        // Parameters and +json media types are JSON.
        #expect(h.request("POST", "/auth/register", json: valid, headers: [("Content-Type", "application/json; charset=utf-8")]).status == 200)
    }
}
