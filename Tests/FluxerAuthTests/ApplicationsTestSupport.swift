import FluxerPersistence
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import HTTPServer
import SQLite
import FluxerDomain

/// Helpers for the application and bot-token tests (kept out of TestSupport.swift on purpose).

/// A parsed JSON object body (empty when the body is not an object).
func jsonObject(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}

/// A parsed JSON array body.
func jsonArray(_ text: String) -> [Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] ?? []
}

/// A JSON body from a dictionary (so strings are escaped properly).
func jsonText(_ object: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// The `code` of an error body.
// errorCode(_:) is shared with AccountsTestSupport.swift.

/// A registered user with a session.
struct TestUser {
    var id: String
    var token: String
    var password: String
    var auth: String { token }
}

/// An application as created through the API: its id, one-time secrets and full response.
struct CreatedApp {
    var id: String
    var clientSecret: String
    var botToken: String
    var body: [String: Any]
    var botAuth: String { "Bot " + botToken }
}

/// The calls the application tests make, on any running app.
protocol AppUnderTest {
    var app: App { get }
}

extension RunningApp: AppUnderTest {}

extension AppUnderTest {
    var port: Int { app.port }
    var database: DataStore { app.context.database }
    var botKeys: BotTokenKeyRing { app.accounts.botKeys.verifying }

    /// One request; `json` sets `Content-Type: application/json`.
    func call(_ method: String, _ path: String, auth: String? = nil, json: String? = nil) -> TestResponse {
        var headers: [(String, String)] = []
        if let auth { headers.append(("Authorization", auth)) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return TestClient.request(port: port, method, path, headers: headers, body: json)
    }

    /// Registers a user through `POST /auth/register`.
    func registerUser(_ username: String, password: String = "correct horse battery") -> TestUser {
        let response = call("POST", "/auth/register", json: jsonText([
            "email": "\(username)@example.com", "username": username, "password": password,
            "date_of_birth": "1990-01-01", "consent": true,
        ]))
        let body = jsonObject(response.body)
        precondition(response.status == 200, "register failed: \(response.status) \(response.body)")
        return TestUser(id: body["user_id"] as! String, token: body["token"] as! String, password: password)
    }

    /// Creates an application through `POST /oauth2/applications`.
    func createApp(owner: TestUser, name: String = "My Bot", redirectURIs: [String] = []) -> CreatedApp {
        let response = call("POST", "/oauth2/applications", auth: owner.auth, json: jsonText(["name": name, "redirect_uris": redirectURIs]))
        precondition(response.status == 200, "create failed: \(response.status) \(response.body)")
        let body = jsonObject(response.body)
        let bot = body["bot"] as! [String: Any]
        return CreatedApp(id: body["id"] as! String, clientSecret: body["client_secret"] as! String,
                          botToken: bot["token"] as! String, body: body)
    }

    /// `GET /users/@me` status for an `Authorization` value.
    func meStatus(_ auth: String) -> Int { call("GET", "/users/@me", auth: auth).status }

    /// Number of rows in `table` (optionally filtered by id).
    func count(_ table: String, id: String? = nil) throws -> Int64 {
        try database.read { db in
            if let id {
                return try db.queryOne("SELECT count(*) AS n FROM \(table) WHERE id = ?", Int64(id)!)?.int("n") ?? -1
            }
            return try db.queryOne("SELECT count(*) AS n FROM \(table)")?.int("n") ?? -1
        }
    }

    /// A blob column of an application row.
    func appBlob(_ column: String, id: String) throws -> [UInt8]? {
        try database.read { db in try db.queryOne("SELECT \(column) AS v FROM applications WHERE id = ?", Int64(id)!)?.blob("v") }
    }
}

/// An app started on a directory the caller owns (so several apps can run one after another on one database).
final class AppOnDir: AppUnderTest {
    let app: App
    let sink: LogSink
    let logFD: Int32

    init(dir: TempDir, configure: (inout Config) -> Void = { _ in }) throws {
        var config = testConfig(dir)
        configure(&config)
        TestBackend.adopt(&config)
        logFD = open(dir.file("server-\(UInt32.random(in: 0...UInt32.max)).log"), O_WRONLY | O_CREAT | O_APPEND, 0o600)
        sink = LogSink(fd: logFD)
        app = try App(config: config, sink: sink)
        try app.start()
    }

    func stop() {
        app.shutdown()
        sink.close()
        close(logFD)
    }
}

/// Base64url and digit alphabets, for tampering.
enum TokenAlphabet {
    static let base64url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    static let digits = Array("0123456789")

    /// `token` with the character at `index` replaced by another character of the same kind (`step` picks which).
    static func flip(_ token: String, at index: Int, step: Int = 1) -> String {
        var chars = Array(token)
        let c = chars[index]
        let dot = chars.firstIndex(of: ".")!
        let alphabet = index < dot ? digits : (index == dot ? base64url : base64url)
        let position = alphabet.firstIndex(of: c) ?? 0
        var replacement = alphabet[(position + step) % alphabet.count]
        if replacement == c { replacement = alphabet[(position + step + 1) % alphabet.count] }
        chars[index] = replacement
        return String(chars)
    }
}

/// Two fixed 32-byte keys for key-rotation tests.
let testKey1 = [UInt8](repeating: 0x11, count: 32)
let testKey2 = [UInt8](repeating: 0x22, count: 32)
