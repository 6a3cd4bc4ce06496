import FluxerPersistence
import FluxerCrypto
import Foundation
import Glibc
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import SQLite
import FluxerDomain

/// A clock the test moves by hand: frozen at its start (wall time) until `advance` is called.
final class TestClock: Sendable {
    private let value: Atomic<Int64>

    init(start: Int64 = Clock.wallMilliseconds()) {
        value = Atomic(start)
    }

    var now: Int64 { value.load(ordering: .sequentiallyConsistent) }

    func advance(milliseconds: Int64) {
        _ = value.add(milliseconds, ordering: .sequentiallyConsistent)
    }

    /// The clock as `App` takes it.
    var function: @Sendable () -> Int64 { { [self] in now } }
}

/// A registered (or logged-in) account as the API returned it.
struct TestAccount {
    var userID: String
    var token: String
    var email: String
    var password: String
}

/// Everything an accounts test needs: the running app with a hand-moved clock, JSON requests, direct database
/// reads (snapshots for "a failed call changed nothing") and the outbox.
final class AccountsHarness {
    let running: RunningApp
    let clock: TestClock

    init(configure: (inout Config) -> Void = { _ in }) throws {
        let clock = TestClock()
        self.clock = clock
        running = try RunningApp(configure: configure, clock: clock.function)
    }

    var port: Int { running.port }
    var accounts: Accounts { running.app.accounts }
    var database: DataStore { running.app.context.database }

    func stop() { running.stop() }

    // MARK: - Requests

    /// Sends a request; a `json` body gets `Content-Type: application/json` unless `headers` set one.
    func request(_ method: String, _ path: String, json: String? = nil, auth: String? = nil,
                 headers: [(String, String)] = []) -> TestResponse {
        var all = headers
        if let auth { all.append(("Authorization", auth)) }
        if json != nil, !all.contains(where: { $0.0.lowercased() == "content-type" }) {
            all.append(("Content-Type", "application/json"))
        }
        return TestClient.request(port: port, method, path, headers: all, body: json ?? (method == "POST" ? "" : nil))
    }

    func post(_ path: String, _ object: [String: Any], auth: String? = nil, headers: [(String, String)] = []) -> TestResponse {
        request("POST", path, json: jsonText(object), auth: auth, headers: headers)
    }

    func me(_ auth: String?) -> TestResponse {
        request("GET", "/users/@me", auth: auth)
    }

    static let defaultPassword = "correct horse battery"

    static func registrationBody(email: String?, password: String? = defaultPassword, username: String? = nil,
                                 globalName: String? = nil) -> [String: Any] {
        var body: [String: Any] = ["date_of_birth": "1990-05-17", "consent": true]
        if let email { body["email"] = email }
        if let password { body["password"] = password }
        if let username { body["username"] = username }
        if let globalName { body["global_name"] = globalName }
        return body
    }

    /// Registers through the API and checks the 200 shape.
    @discardableResult
    func register(email: String, password: String = defaultPassword, username: String? = nil, globalName: String? = nil,
                  headers: [(String, String)] = []) throws -> TestAccount {
        let response = post("/auth/register", Self.registrationBody(email: email, password: password, username: username, globalName: globalName),
                            headers: headers)
        #expect(response.status == 200, "register \(email): \(response.body)")
        let object = try #require(jsonObject(response))
        return TestAccount(userID: try #require(object["user_id"] as? String), token: try #require(object["token"] as? String),
                           email: email, password: password)
    }

    func login(_ email: String, _ password: String, headers: [(String, String)] = []) -> TestResponse {
        post("/auth/login", ["email": email, "password": password], headers: headers)
    }

    /// Logs in and returns the new token.
    func loginToken(_ account: TestAccount, headers: [(String, String)] = []) throws -> String {
        let response = login(account.email, account.password, headers: headers)
        #expect(response.status == 200, "login: \(response.body)")
        return try #require(jsonObject(response)?["token"] as? String)
    }

    // MARK: - Database

    /// A bot user row inserted directly (bots cannot register), with a password so login would otherwise work.
    func insertBotUser(email: String, password: String) throws -> User {
        let hash = try accounts.hashPool.hasher.hash(password)
        let id = try running.app.context.snowflakes.next()
        return try database.write { db in
            try UserStore.insert(.init(id: id, username: "somebot", email: email, passwordHash: hash, isBot: true, createdAt: clock.now), in: db)
        }
    }

    func count(_ table: String, where condition: String = "TRUE") throws -> Int64 {
        try database.read { db in try db.queryOne("SELECT count(*) AS n FROM \(table) WHERE \(condition)")?.int("n") ?? -1 }
    }

    func userRow(id: String) throws -> SQLRow? {
        try database.read { db in try db.queryOne("SELECT * FROM users WHERE id = ?", Int64(id)!) }
    }

    /// Every row that matters to accounts, rendered so two snapshots compare with `==`. Rate-limit state is
    /// left out on purpose: every login or forgot attempt counts, failed or not.
    func snapshot() throws -> DatabaseSnapshot {
        try database.read { db in
            // The failure counters may move on a refused call (checklist §1: "no DB row changes except audit and
            // failure counters"); everything else must not.
            let counters: Set<String> = ["mfa_failures", "mfa_locked_until"]
            func rows(_ sql: String) throws -> [String] {
                try db.query(sql).map { row in
                    zip(row.columnNames, row.values).filter { !counters.contains($0.0) }.map { "\($0)=\($1)" }.joined(separator: " ")
                }
            }
            return DatabaseSnapshot(
                users: try rows("SELECT * FROM users ORDER BY id"),
                sessions: try rows("SELECT * FROM sessions ORDER BY id_hash"),
                emailTokens: try rows("SELECT * FROM email_tokens ORDER BY token_hash"),
                outbox: try rows("SELECT id, recipient, kind FROM outbox ORDER BY id"))
        }
    }

    /// Runs `call` and checks that it left users, sessions, email tokens and the outbox exactly as they were.
    @discardableResult
    func expectNoChange(_ label: String, sourceLocation: SourceLocation = #_sourceLocation,
                        _ call: () -> TestResponse) throws -> TestResponse {
        let before = try snapshot()
        let response = call()
        let after = try snapshot()
        #expect(before == after, "\(label) changed the database", sourceLocation: sourceLocation)
        return response
    }

    // MARK: - Outbox

    /// Bodies of queued emails of `kind` to `recipient`, oldest first.
    func emails(kind: String, to recipient: String) throws -> [String] {
        try database.read { db in
            try db.query("SELECT body FROM outbox WHERE kind = ? AND recipient = ? ORDER BY id", kind, recipient)
                .compactMap { $0.string("body").flatMap(running.app.context.outbox.seal.open) }
        }
    }

    /// Waits (briefly) until `recipient` has `count` emails of `kind`; for flows that send after answering.
    func waitForEmails(kind: String, to recipient: String, count: Int, timeoutMilliseconds: Int = 3_000) throws -> [String] {
        var waited = 0
        while true {
            let found = try emails(kind: kind, to: recipient)
            if found.count >= count || waited >= timeoutMilliseconds { return found }
            usleep(10_000)
            waited += 10
        }
    }

    /// The newest verification token mailed to `recipient`.
    func verificationToken(for recipient: String) throws -> String {
        let body = try #require(try emails(kind: "verify_email", to: recipient).last)
        return try #require(Self.token(in: body, marker: "/verify#token="))
    }

    /// The newest reset token mailed to `recipient` (waiting for it: `/auth/forgot` sends after answering).
    func resetToken(for recipient: String, count: Int = 1) throws -> String {
        let bodies = try waitForEmails(kind: "password_reset", to: recipient, count: count)
        #expect(bodies.count == count)
        let body = try #require(bodies.last)
        return try #require(Self.token(in: body, marker: "/reset#token="))
    }

    /// The 64-character token after `marker` in an email body.
    static func token(in body: String, marker: String) -> String? {
        guard let range = body.range(of: marker) else { return nil }
        let token = String(body[range.upperBound...].prefix { $0.isLetter || $0.isNumber })
        return token.count == 64 ? token : nil
    }
}

/// Accounts rows rendered as text.
struct DatabaseSnapshot: Equatable {
    var users: [String]
    var sessions: [String]
    var emailTokens: [String]
    var outbox: [String]
}

// MARK: - JSON

func jsonText(_ object: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
    return String(decoding: data, as: UTF8.self)
}

func jsonObject(_ response: TestResponse) -> [String: Any]? {
    jsonValue(response) as? [String: Any]
}

func jsonValue(_ response: TestResponse) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(response.body.utf8), options: [.fragmentsAllowed])
}

/// `(path, code)` of each item of an `INVALID_FORM_BODY` answer (empty for any other answer).
func formErrors(_ response: TestResponse) -> [FormError] {
    guard let object = jsonObject(response), object["code"] as? String == "INVALID_FORM_BODY",
          let errors = object["errors"] as? [[String: Any]] else { return [] }
    return errors.map { FormError(path: $0["path"] as? String ?? "?", code: $0["code"] as? String ?? "-") }
}

/// One item of an `INVALID_FORM_BODY` answer.
struct FormError: Equatable, CustomStringConvertible {
    var path: String
    var code: String
    var description: String { "\(path):\(code)" }
}

/// The top-level `code` of an error answer.
func errorCode(_ response: TestResponse) -> String? {
    jsonObject(response)?["code"] as? String
}

/// The exact 401 the API sends for a missing, unknown or revoked credential.
let unauthorizedBody = #"{"code":"UNAUTHORIZED","message":"Unauthorized."}"#

/// The `id_hash` of a session token: unpadded base64url of SHA-256.
func idHash(of token: String) -> String {
    Base64URL.encode(SHA256.hash(Array(token.utf8)))
}

/// Milliseconds spent in `body`.
func elapsedMilliseconds(_ body: () -> Void) -> Int64 {
    let start = Clock.wallMilliseconds()
    body()
    return Clock.wallMilliseconds() - start
}

/// Runs `body` on `count` threads at once (released together) and returns the answers in index order.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> TestResponse) -> [TestResponse] {
    let answers = Mutex<[Int: TestResponse]>([:])
    let ready = DispatchGroup()
    let done = DispatchGroup()
    let go = DispatchSemaphore(value: 0)
    for i in 0..<count {
        ready.enter()
        done.enter()
        Thread {
            ready.leave()
            go.wait()
            let response = body(i)
            answers.withLock { $0[i] = response }
            done.leave()
        }.start()
    }
    ready.wait()
    for _ in 0..<count { go.signal() }
    done.wait()
    return answers.withLock { dict in (0..<count).map { dict[$0]! } }
}
