import FluxerCrypto
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import SQLite

/// Helpers for the abuse-resistance tests (`RateLimit*Tests`, `Lockout*Tests`, `Audit*Tests`): configs with the
/// limits on, audit reads, TOTP setup, and an app that can be restarted on the same database directory.

enum Abuse {
    /// Route limits on; the persistent login/forgot limits raised so they never interfere unless a test wants them.
    static func limitsOn(_ config: inout Config) {
        config.rateLimitsEnabled = true
        relaxedAttemptLimits(&config)
    }

    /// The persistent per-email / per-IP limits raised far out of the way (lockout tests make many attempts).
    static func relaxedAttemptLimits(_ config: inout Config) {
        config.loginEmailIPLimit = RateLimit(10_000, per: 60_000)
        config.loginEmailLimit = RateLimit(10_000, per: 60_000)
        config.loginIPLimit = RateLimit(10_000, per: 60_000)
        config.forgotEmailIPLimit = RateLimit(10_000, per: 60_000)
        config.forgotEmailLimit = RateLimit(10_000, per: 60_000)
        config.forgotIPLimit = RateLimit(10_000, per: 60_000)
    }

    /// Every `X-RateLimit-*` header of a response.
    static func rateLimitHeaders(_ response: TestResponse) -> [(String, String)] {
        response.headers.filter { $0.0.lowercased().hasPrefix("x-ratelimit") }
    }

    /// Headers minus the ones that differ per response by nature (date, request id).
    static func stableHeaders(_ response: TestResponse) -> [String] {
        response.headers.filter { !["date", "x-request-id"].contains($0.0.lowercased()) }
            .map { "\($0.0.lowercased()): \($0.1)" }.sorted()
    }

    /// Median of a few measurements (ms).
    static func median(_ values: [Int64]) -> Int64 {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}

/// One `audit_events` row as text columns.
struct AuditRow {
    var columns: [String: String]
    var event: String { columns["event"] ?? "" }
    var outcome: String { columns["outcome"] ?? "" }
    var userID: String? { columns["user_id"] }
    var ip: String? { columns["ip"] }
    var userAgent: String? { columns["user_agent"] }
    var detail: String? { columns["detail"] }
}

/// Flushes the batched audit writer and reads every row, oldest first.
func auditRows(_ app: App) throws -> [AuditRow] {
    app.context.audit.flush()
    return try app.context.database.read { db in
        try db.query("SELECT * FROM audit_events ORDER BY id").map { row in
            var columns: [String: String] = [:]
            for name in row.columnNames {
                if let text = row.string(name) { columns[name] = text } else if let n = row.int(name) { columns[name] = String(n) }
            }
            return AuditRow(columns: columns)
        }
    }
}

/// Raw text of every column of every audit row (for secret searches).
func auditDump(_ app: App) throws -> String {
    app.context.audit.flush()
    return try app.context.database.read { db in
        try db.query("SELECT * FROM audit_events ORDER BY id").map { row in
            row.columnNames.map { name in "\(name)=\(row.string(name) ?? row.int(name).map(String.init) ?? "null")" }.joined(separator: " ")
        }.joined(separator: "\n")
    }
}

extension AccountsHarness {
    /// Enables TOTP for `account` (sudo by password) and returns the secret and the backup codes.
    func enableTOTP(_ account: TestAccount) throws -> (secret: [UInt8], backupCodes: [String]) {
        let secret = [UInt8](repeating: 0x42, count: 20)
        let code = TOTP.code(secret: secret, counter: TOTP.counter(at: clock.now / 1000))
        let response = post("/users/@me/mfa/totp/enable", ["secret": Base32.encode(secret), "code": code, "password": account.password],
                            auth: account.token)
        #expect(response.status == 200, "totp enable: \(response.body)")
        let codes = (jsonObject(response)?["backup_codes"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
        return (secret, codes)
    }

    /// The current TOTP code for `secret` on the harness clock.
    func totp(_ secret: [UInt8]) -> String {
        TOTP.code(secret: secret, counter: TOTP.counter(at: clock.now / 1000))
    }

    /// A six-digit code that matches no step in the ±1 window now.
    func wrongTOTP(_ secret: [UInt8]) -> String {
        let step = TOTP.counter(at: clock.now / 1000)
        let valid = Set((step - 1...step + 1).map { TOTP.code(secret: secret, counter: $0) })
        var candidate = 123_456
        while valid.contains(String(candidate)) { candidate += 1 }
        return String(candidate)
    }

    /// `(mfa_failures, mfa_locked_until)` of a user.
    func lockState(_ userID: String) throws -> (failures: Int64, lockedUntil: Int64?) {
        let row = try #require(try userRow(id: userID))
        return (row.int("mfa_failures") ?? -1, row.int("mfa_locked_until"))
    }

    /// A ticket from a correct password login of an MFA user.
    func mfaTicket(_ account: TestAccount) throws -> String {
        let response = login(account.email, account.password)
        #expect(response.status == 200, "login: \(response.body)")
        return try #require(jsonObject(response)?["ticket"] as? String)
    }
}

/// An app on a directory the test owns, with a hand-moved clock, so a second app can be started on the same
/// database after the first one stopped.
final class RestartableApp {
    let app: App
    let sink: LogSink
    let logFD: Int32

    init(dir: TempDir, clock: TestClock, configure: (inout Config) -> Void = { _ in }) throws {
        var config = testConfig(dir)
        configure(&config)
        TestBackend.adopt(&config)
        logFD = open(dir.file("server-\(UInt32.random(in: 0...UInt32.max)).log"), O_WRONLY | O_CREAT | O_APPEND, 0o600)
        sink = LogSink(fd: logFD)
        app = try App(config: config, sink: sink, clock: clock.function)
        try app.start()
    }

    var port: Int { app.port }

    func login(_ email: String, _ password: String) -> TestResponse {
        TestClient.request(port: port, "POST", "/auth/login", headers: [("Content-Type", "application/json")],
                           body: jsonText(["email": email, "password": password]))
    }

    func stop() {
        app.shutdown()
        sink.close()
        close(logFD)
    }
}
