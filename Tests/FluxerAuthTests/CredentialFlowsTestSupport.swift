import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

/// Shared by `IPAuthorizationTests` and `PasswordChangeTests`: the tables of both flows in snapshots, so "a
/// refused call changed nothing" covers them too, and readers for the mails they send.
extension AccountsHarness {
    /// The accounts snapshot plus every row of the IP-authorization and password-change tables. A code's own
    /// failure counter is left out (a wrong code counts, as `mfa_failures` does); so is rate-limit state.
    func flowSnapshot() throws -> [String] {
        let base = try snapshot()
        let extra = try database.read { db -> [String] in
            var out: [String] = []
            for table in ["authorized_ips", "ip_authorizations", "password_change_tickets", "oauth2_tokens"] {
                for row in try db.query("SELECT * FROM \(table)") {
                    out.append(table + ": " + zip(row.columnNames, row.values).filter { $0.0 != "code_failures" }
                        .map { "\($0)=\($1)" }.joined(separator: " "))
                }
            }
            return out.sorted()
        }
        return base.users + base.sessions + base.emailTokens + base.outbox + extra
    }

    /// Runs `call` and checks that it left accounts and both flows' tables exactly as they were.
    @discardableResult
    func expectNothingChanged(_ label: String, sourceLocation: SourceLocation = #_sourceLocation,
                              _ call: () -> TestResponse) throws -> TestResponse {
        let before = try flowSnapshot()
        let response = call()
        let after = try flowSnapshot()
        #expect(before == after, "\(label) changed the database", sourceLocation: sourceLocation)
        return response
    }

    /// The token of the newest IP-authorization link mailed to `recipient`.
    func ipAuthorizationToken(for recipient: String, count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let bodies = try emails(kind: "ip_authorization", to: recipient)
        #expect(bodies.count == count, "ip_authorization mails to \(recipient)", sourceLocation: sourceLocation)
        let body = try #require(bodies.last, sourceLocation: sourceLocation)
        return try #require(Self.token(in: body, marker: "/authorize-ip#token="), sourceLocation: sourceLocation)
    }

    /// The newest password-change code mailed to `recipient`.
    func passwordChangeCode(for recipient: String, count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let bodies = try emails(kind: "password_change_verification", to: recipient)
        #expect(bodies.count == count, "password change mails to \(recipient)", sourceLocation: sourceLocation)
        let body = try #require(bodies.last, sourceLocation: sourceLocation)
        return try #require(Self.passwordChangeCode(in: body), sourceLocation: sourceLocation)
    }

    /// The `XXXX-XXXX` code in a mail body.
    static func passwordChangeCode(in body: String) -> String? {
        body.split(whereSeparator: \.isWhitespace).map(String.init).first { word in
            word.count == 9 && word.dropFirst(4).first == "-"
                && word.filter { $0 != "-" }.allSatisfy { ($0.isUppercase || $0.isNumber) && $0.isASCII }
        }
    }

    /// Audit events of `event` for the user, after flushing the queue.
    func auditEvents(_ event: String, userID: String) throws -> [(outcome: String, detail: String?)] {
        running.app.context.audit.flush()
        return try database.read { db in
            try db.query("SELECT outcome, detail FROM audit_events WHERE event = ? AND user_id = ? ORDER BY id", event, Int64(userID)!)
                .map { ($0.string("outcome") ?? "", $0.string("detail")) }
        }
    }

    /// A bot token of an application owned by `owner` (bots cannot use user-only routes).
    func botToken(owner: TestAccount) throws -> String {
        let response = post("/oauth2/applications", ["name": "Some Bot", "redirect_uris": [String]()], auth: owner.token)
        #expect(response.status == 200, "create app: \(response.body)")
        let bot = try #require(jsonObject(response)?["bot"] as? [String: Any])
        return "Bot " + (try #require(bot["token"] as? String))
    }
}

/// Whether `value` is `count` base62 characters.
func isBase62(_ value: String?, count: Int) -> Bool {
    guard let value else { return false }
    return value.utf8.count == count && Base62.isValid(value)
}
