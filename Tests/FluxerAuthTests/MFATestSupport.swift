import FluxerPersistence
import FluxerCrypto
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import SQLite

/// Helpers for the MFA, sudo and WebAuthn-over-HTTP tests (`MFA*Tests.swift`, `Sudo*Tests.swift`,
/// `WebAuthnRoutes*Tests.swift`): a running app whose hand-moved clock starts in the middle of a TOTP step (so
/// "±30 s" is exactly one step), users with TOTP/phone/security keys set up through the API, sudo proofs, SMS
/// codes read from the outbox, and database snapshots for "a refused call changed nothing".

/// A registered user as the MFA tests see it.
struct MFAUser {
    var id: String
    var token: String
    var email: String
    var password: String
    /// The TOTP secret, once enabled.
    var secret: [UInt8]?
    /// The backup codes from the last enable/regenerate.
    var backupCodes: [String] = []

    var auth: String { token }
    var userID: Int64 { Int64(id)! }
}

final class MFAHarness {
    let running: RunningApp
    let clock: TestClock

    static let password = "correct horse battery"
    static let timeoutMessage = "Session timeout. Please refresh the page and log in again."

    init(configure: (inout Config) -> Void = { _ in }) throws {
        let wall = Clock.wallMilliseconds()
        // Mid-step: a code for the previous/next step is exactly 30 s away (TO-02).
        let clock = TestClock(start: wall - wall % 30_000 + 15_000)
        self.clock = clock
        running = try RunningApp(configure: { config in
            config.webauthnRPID = SoftAuthenticator.rpID
            config.webauthnOrigins = [SoftAuthenticator.origin]
            config.rotateLimit = RateLimit(1_000, per: 3_600_000)
            config.smsSendLimit = RateLimit(1_000, per: 15 * 60_000)
            config.smsSendIPLimit = RateLimit(1_000, per: 15 * 60_000)
            // Every test logs in many times from one address; the login limits have their own tests.
            config.loginEmailIPLimit = RateLimit(1_000, per: 15 * 60_000)
            config.loginEmailLimit = RateLimit(1_000, per: 15 * 60_000)
            config.loginIPLimit = RateLimit(1_000, per: 30 * 60_000)
            // These tests fail codes on purpose many times; the account lockout has its own tests.
            config.lockoutThreshold = 0
            configure(&config)
            TestBackend.adopt(&config)
        }, clock: clock.function)
    }

    var port: Int { running.port }
    var database: DataStore { running.app.context.database }
    var config: Config { running.app.context.config }

    func stop() { running.stop() }

    // MARK: - Requests

    /// One request; a dictionary body is sent as JSON.
    func send(_ method: String, _ path: String, _ body: [String: Any]? = nil, auth: String? = nil,
              headers: [(String, String)] = []) -> TestResponse {
        var all = headers
        if let auth { all.append(("Authorization", auth)) }
        if body != nil { all.append(("Content-Type", "application/json")) }
        return TestClient.request(port: port, method, path, headers: all, body: body.map { jsonText($0) } ?? (method == "GET" ? nil : ""))
    }

    func post(_ path: String, _ body: [String: Any] = [:], auth: String? = nil, headers: [(String, String)] = []) -> TestResponse {
        send("POST", path, body, auth: auth, headers: headers)
    }

    func me(_ user: MFAUser) -> [String: Any] {
        jsonObject(send("GET", "/users/@me", auth: user.auth).body)
    }

    // MARK: - Time and TOTP

    /// The RFC 6238 counter of the app clock.
    var counter: UInt64 { UInt64(clock.now / 1000 / 30) }

    /// The code for the current step moved by `steps` (each step is 30 s).
    func code(_ secret: [UInt8], steps: Int64 = 0) -> String {
        TOTP.code(secret: secret, counter: UInt64(Int64(counter) + steps))
    }

    /// Moves to the next step and answers its code: every accepted TOTP code must be from a newer step (TO-03).
    func freshCode(_ user: MFAUser) -> String {
        clock.advance(milliseconds: 30_000)
        return code(user.secret!)
    }

    /// A TOTP sudo proof from a fresh step.
    func totpProof(_ user: MFAUser) -> [String: Any] {
        ["mfa_method": "totp", "mfa_code": freshCode(user)]
    }

    /// The right proof for the user: a fresh TOTP code if enabled, else the password.
    func proof(_ user: MFAUser) -> [String: Any] {
        user.secret == nil ? ["password": user.password] : totpProof(user)
    }

    // MARK: - Users

    func register(_ name: String) throws -> MFAUser {
        let email = "\(name)@example.com"
        let response = post("/auth/register", ["email": email, "username": name, "password": Self.password,
                                               "date_of_birth": "1990-01-01", "consent": true])
        #expect(response.status == 200, "register \(name): \(response.body)")
        let body = jsonObject(response.body)
        return MFAUser(id: try #require(body["user_id"] as? String), token: try #require(body["token"] as? String),
                       email: email, password: Self.password)
    }

    /// Enables TOTP with a client-generated secret (`{secret, code, password}`) and keeps the backup codes.
    func enableTOTP(_ user: inout MFAUser, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let secret = TOTP.generateSecret()
        clock.advance(milliseconds: 30_000)
        let response = post("/users/@me/mfa/totp/enable", ["secret": Base32.encode(secret), "code": code(secret), "password": user.password],
                            auth: user.auth)
        #expect(response.status == 200, "enable: \(response.body)", sourceLocation: sourceLocation)
        let codes = try #require(jsonObject(response.body)["backup_codes"] as? [[String: Any]], sourceLocation: sourceLocation)
        user.secret = secret
        user.backupCodes = codes.compactMap { $0["code"] as? String }
    }

    /// A registered user with TOTP on.
    func totpUser(_ name: String) throws -> MFAUser {
        var user = try register(name)
        try enableTOTP(&user)
        return user
    }

    func login(_ user: MFAUser) -> TestResponse {
        post("/auth/login", ["email": user.email, "password": user.password])
    }

    /// Logs in a user with MFA and answers the ticket.
    func ticket(_ user: MFAUser, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let response = login(user)
        #expect(response.status == 200, "\(response.body)", sourceLocation: sourceLocation)
        let body = jsonObject(response.body)
        #expect(body["mfa"] as? Bool == true, sourceLocation: sourceLocation)
        return try #require(body["ticket"] as? String, sourceLocation: sourceLocation)
    }

    func loginTOTP(_ ticket: String, _ code: String) -> TestResponse {
        post("/auth/login/mfa/totp", ["ticket": ticket, "code": code])
    }

    // MARK: - Phone and SMS

    /// The 6-digit codes texted to `phone`, oldest first (dev mode keeps outbox bodies).
    func smsCodes(to phone: String) throws -> [String] {
        try database.read { db in
            try db.query("SELECT body FROM outbox WHERE channel = 'sms' AND recipient = ? ORDER BY id", phone).compactMap { row in
                guard let body = row.string("body").flatMap(running.app.context.outbox.seal.open),
                      let range = body.range(of: "code is ") else { return nil }
                return String(body[range.upperBound...].prefix(6))
            }
        }
    }

    func lastSMSCode(to phone: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(try smsCodes(to: phone).last, "no SMS to \(phone)", sourceLocation: sourceLocation)
    }

    /// Verifies `phone` by SMS and answers the phone token.
    func phoneToken(_ user: MFAUser, phone: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let sent = post("/users/@me/phone/send-verification", ["phone": phone], auth: user.auth)
        #expect(sent.status == 204, "\(sent.body)", sourceLocation: sourceLocation)
        let verified = post("/users/@me/phone/verify", ["phone": phone, "code": try lastSMSCode(to: phone)], auth: user.auth)
        #expect(verified.status == 200, "\(verified.body)", sourceLocation: sourceLocation)
        return try #require(jsonObject(verified.body)["phone_token"] as? String, sourceLocation: sourceLocation)
    }

    /// Adds a verified phone (sudo) and, for a TOTP user, turns SMS MFA on.
    func addPhone(_ user: MFAUser, phone: String, enableSMS: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let token = try phoneToken(user, phone: phone, sourceLocation: sourceLocation)
        let set = post("/users/@me/phone", merged(["phone_token": token], proof(user)), auth: user.auth)
        #expect(set.status == 204, "\(set.body)", sourceLocation: sourceLocation)
        if enableSMS {
            let on = post("/users/@me/mfa/sms/enable", proof(user), auth: user.auth)
            #expect(on.status == 204, "\(on.body)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - WebAuthn

    static func credentialJSON(_ authenticator: SoftAuthenticator, _ registration: (clientDataJSON: [UInt8], attestationObject: [UInt8]),
                               id: [UInt8]? = nil) -> [String: Any] {
        let id = Base64URL.encode(id ?? authenticator.credentialID)
        return ["id": id, "rawId": id, "type": "public-key",
                "response": ["clientDataJSON": Base64URL.encode(registration.clientDataJSON),
                             "attestationObject": Base64URL.encode(registration.attestationObject)]]
    }

    static func assertionJSON(_ authenticator: SoftAuthenticator,
                              _ assertion: (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]),
                              userHandle: [UInt8]? = nil) -> [String: Any] {
        let id = Base64URL.encode(authenticator.credentialID)
        var response: [String: Any] = ["clientDataJSON": Base64URL.encode(assertion.clientDataJSON),
                                       "authenticatorData": Base64URL.encode(assertion.authenticatorData),
                                       "signature": Base64URL.encode(assertion.signature)]
        if let userHandle { response["userHandle"] = Base64URL.encode(userHandle) }
        return ["id": id, "rawId": id, "type": "public-key", "response": response]
    }

    /// `POST …/credentials/registration-options` with a proof; answers the options.
    func registrationOptions(_ user: MFAUser, proof: [String: Any]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let response = post("/users/@me/mfa/webauthn/credentials/registration-options", proof ?? self.proof(user), auth: user.auth)
        #expect(response.status == 200, "\(response.body)", sourceLocation: sourceLocation)
        return jsonObject(response.body)
    }

    func challenge(of options: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        try #require((options["challenge"] as? String).flatMap(Base64URL.decode), sourceLocation: sourceLocation)
    }

    /// Registers `authenticator` for the user through the API.
    func registerKey(_ user: MFAUser, _ authenticator: SoftAuthenticator, name: String = "My key",
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let options = try registrationOptions(user, sourceLocation: sourceLocation)
        let challenge = try challenge(of: options, sourceLocation: sourceLocation)
        let body: [String: Any] = ["response": Self.credentialJSON(authenticator, authenticator.register(challenge: challenge)),
                                   "challenge": Base64URL.encode(challenge), "name": name]
        let response = post("/users/@me/mfa/webauthn/credentials", merged(body, proof(user)), auth: user.auth)
        #expect(response.status == 204, "\(response.body)", sourceLocation: sourceLocation)
    }

    // MARK: - Database

    func userRow(_ user: MFAUser) throws -> SQLRow {
        try #require(try database.read { db in try db.queryOne("SELECT * FROM users WHERE id = ?", user.userID) })
    }

    func count(_ table: String, where condition: String = "TRUE") throws -> Int64 {
        try database.read { db in try db.queryOne("SELECT count(*) AS n FROM \(table) WHERE \(condition)")?.int("n") ?? -1 }
    }

    static let snapshotTables = [
        "users", "sessions", "applications", "mfa_backup_codes", "mfa_pending_totp", "sms_codes", "phone_tokens",
        "webauthn_credentials", "webauthn_challenges",
    ]

    /// Every row that a sudo route could change, as text.
    func snapshot() throws -> [String: [String]] {
        try database.read { db in
            var out: [String: [String]] = [:]
            for table in Self.snapshotTables {
                // Failure counters may move on a refused proof (LG-01); nothing else may.
                out[table] = try db.query("SELECT * FROM \(table)").map { row in
                    zip(row.columnNames, row.values).filter { $0.0 != "mfa_failures" && $0.0 != "mfa_locked_until" }
                        .map { "\($0)=\($1)" }.joined(separator: " ")
                }.sorted()
            }
            return out
        }
    }

    /// Runs `call` and checks that the database is as it was.
    @discardableResult
    func expectUnchanged(_ label: String, sourceLocation: SourceLocation = #_sourceLocation, _ call: () -> TestResponse) throws -> TestResponse {
        let before = try snapshot()
        let response = call()
        let after = try snapshot()
        for table in Self.snapshotTables where before[table] != after[table] {
            Issue.record("\(label) changed \(table)", sourceLocation: sourceLocation)
        }
        return response
    }
}

/// The `errors` items of a 400 as `[path: message]` plus the codes.
func formItems(_ response: TestResponse) -> [[String: Any]] {
    jsonObject(response.body)["errors"] as? [[String: Any]] ?? []
}

/// Whether `response` is the MFA-ticket timeout (`400`, one item at `path`, no `code` key in it).
func isTicketTimeout(_ response: TestResponse, path: String = "code") -> Bool {
    let items = formItems(response)
    return response.status == 400 && errorCode(response) == "INVALID_FORM_BODY" && items.count == 1
        && items[0]["path"] as? String == path && items[0]["message"] as? String == MFAHarness.timeoutMessage && items[0]["code"] == nil
}

/// Whether `response` is the MFA login's wrong-code answer.
func isInvalidCode(_ response: TestResponse) -> Bool {
    let items = formItems(response)
    return response.status == 400 && items.count == 1 && items[0]["path"] as? String == "code" && items[0]["message"] as? String == "Invalid code"
}

/// `a` with `b`'s members added (a proof merged into a body, as the web client does).
func merged(_ a: [String: Any], _ b: [String: Any]) -> [String: Any] {
    a.merging(b) { first, _ in first }
}

/// `POST /auth/login/mfa/totp` by port alone (for `concurrently`, whose closures must be Sendable).
func loginTOTPRequest(port: Int, ticket: String, code: String) -> TestResponse {
    TestClient.request(port: port, "POST", "/auth/login/mfa/totp", headers: [("Content-Type", "application/json")],
                       body: jsonText(["ticket": ticket, "code": code]))
}
