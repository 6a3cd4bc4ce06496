import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain
import FluxerJSON

/// MFA login tickets: after a correct password, a user with MFA gets a ticket (64 base62 characters, only its
/// SHA-256 stored) that is valid for 5 minutes, dies after 5 wrong codes, and is consumed by the first success.
package enum MFATicket {
    package static let lifetime: Int64 = 5 * 60_000
    package static let maxFailures: Int64 = 5
    package static let length = 64

    package static func hash(_ ticket: String) -> [UInt8] { SHA256.hash(Array(ticket.utf8)) }

    package static func issue(userID: UInt64, now: Int64, in db: SQLTransaction) throws -> String {
        let ticket = Base62.encode(randomCount: length)
        try MFAStore.insertTicket(hash: hash(ticket), userID: userID, now: now, expiresAt: now + lifetime, in: db)
        return ticket
    }

    /// The user of a live ticket.
    package static func user(of ticket: String, now: Int64, in db: SQLTransaction) throws -> UInt64? {
        guard ticket.utf8.count == length, Base62.isValid(ticket),
              let stored = try MFAStore.ticket(hash: hash(ticket), in: db),
              stored.expiresAt > now, (stored.failedAttempts ?? maxFailures) < maxFailures
        else { return nil }
        return stored.userID
    }

    package static func recordFailure(_ ticket: String, in db: SQLTransaction) throws {
        try MFAStore.recordTicketFailure(hash: hash(ticket), in: db)
    }

    /// Consumes the ticket; false when another request already did (single use under concurrency).
    package static func consume(_ ticket: String, in db: SQLTransaction) throws -> Bool {
        try MFAStore.deleteTicket(hash: hash(ticket), in: db)
    }

    /// The login answer for a user with MFA (real server's `createMfaTicketResponse`): methods in the order
    /// totp, sms, webauthn. `extra` members follow (SSO adds `redirect_to`).
    package static func response(ticket: String, user: User, extra: [(String, JSONValue)] = []) -> HTTPResponse {
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
    package static func timeout(path: String = "code") -> APIError {
        APIError.invalidFormBody([FieldError(path: path, message: "Session timeout. Please refresh the page and log in again.")])
    }

    /// The real server's answer for a wrong code.
    package static let invalidCode = APIError.invalidFormBody([FieldError(path: "code", message: "Invalid code")])
}
