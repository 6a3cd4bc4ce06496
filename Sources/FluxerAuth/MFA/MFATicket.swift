import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite

/// MFA login tickets: after a correct password, a user with MFA gets a ticket (64 base62 characters, only its
/// SHA-256 stored) that is valid for 5 minutes, dies after 5 wrong codes, and is consumed by the first success.
enum MFATicket {
    static let lifetime: Int64 = 5 * 60_000
    static let maxFailures: Int64 = 5
    static let length = 64

    static func hash(_ ticket: String) -> [UInt8] { SHA256.hash(Array(ticket.utf8)) }

    static func issue(userID: UInt64, now: Int64, in db: SQLTransaction) throws -> String {
        let ticket = Base62.encode(randomCount: length)
        try db.run("INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                   hash(ticket), Int64(bitPattern: userID), now, now + lifetime)
        return ticket
    }

    /// The user of a live ticket.
    static func user(of ticket: String, now: Int64, in db: SQLTransaction) throws -> UInt64? {
        guard ticket.utf8.count == length, Base62.isValid(ticket),
              let row = try db.queryOne("SELECT user_id, expires_at, failed_attempts FROM mfa_tickets WHERE ticket_hash = ?", hash(ticket)),
              (row.int("expires_at") ?? 0) > now, (row.int("failed_attempts") ?? maxFailures) < maxFailures
        else { return nil }
        return UInt64(bitPattern: row.int("user_id") ?? 0)
    }

    static func recordFailure(_ ticket: String, in db: SQLTransaction) throws {
        try db.run("UPDATE mfa_tickets SET failed_attempts = failed_attempts + 1 WHERE ticket_hash = ?", hash(ticket))
    }

    /// Consumes the ticket; false when another request already did (single use under concurrency).
    static func consume(_ ticket: String, in db: SQLTransaction) throws -> Bool {
        try db.run("DELETE FROM mfa_tickets WHERE ticket_hash = ?", hash(ticket)) == 1
    }

    /// The login answer for a user with MFA (real server's `createMfaTicketResponse`): methods in the order
    /// totp, sms, webauthn. `extra` members follow (SSO adds `redirect_to`).
    static func response(ticket: String, user: User, extra: [(String, JSONValue)] = []) -> HTTPResponse {
        let sms = user.smsMFAEnabled && user.totpEnabled && user.phone != nil
        let webauthn = user.webauthnCount > 0
        let methods = (user.totpEnabled ? ["totp"] : []) + (sms ? ["sms"] : []) + (webauthn ? ["webauthn"] : [])
        return .json(.ok, JSONValue.object([
            ("mfa", true), ("ticket", .string(ticket)), ("allowed_methods", .array(methods.map(JSONValue.string))),
            ("sms_phone_hint", sms ? (PhoneNumber.hint(user.phone).map(JSONValue.string) ?? .null) : .null),
            ("sms", .bool(sms)), ("totp", .bool(user.totpEnabled)), ("webauthn", .bool(webauthn)),
        ] + extra), headers: ["Cache-Control": "no-store"])
    }

    /// The real server's answer for an unknown, expired or exhausted ticket (no `code` key in the item).
    static func timeout(path: String = "code") -> APIError {
        APIError.invalidFormBody([FieldError(path: path, message: "Session timeout. Please refresh the page and log in again.")])
    }

    /// The real server's answer for a wrong code.
    static let invalidCode = APIError.invalidFormBody([FieldError(path: "code", message: "Invalid code")])
}
