import FluxerCrypto
import FluxerDomain
import FluxerJSON
import HTTPServer

/// Password change with an emailed code, the real server's `PasswordChangeService` (fluxer-api.md §4):
/// start mails a code `XXXX-XXXX` and answers a ticket; verify spends the code for a proof; complete spends the
/// proof and sets the new password, ending every session and making a new one.
///
/// Beyond the real server: codes are keyed-hashed (HMAC bound to the ticket: a database leak alone tests no
/// guess), die after 5 wrong tries and are spent by the verification (the real server hands the same proof out
/// again, even for a wrong code); ticket and proof are stored as SHA-256; tickets end after 30 minutes;
/// completing needs sudo (PW-08: the current password, or the second factor for users with MFA) and also ends
/// every OAuth2 grant (RT-07).
package enum PasswordChange {
    /// How long a ticket (and the proof it gets) works.
    package static let ticketLifetime: Int64 = 30 * 60_000
    /// How long one emailed code works (the real server's `CODE_TTL_MS`).
    package static let codeLifetime: Int64 = 10 * 60_000
    /// The wait before another code (`RESEND_COOLDOWN_MS`).
    package static let resendDelay: Int64 = 30_000
    /// Wrong codes a code survives; then only a resend helps.
    package static let maxCodeFailures: Int64 = 5
    /// Starts per user (the real server's `password_change:start:<id>`, 3 per 15 minutes).
    package static let startLimit = RateLimit(3, per: 15 * 60_000)
    /// Resends per user (`password_change:resend:<id>`, 3 per 15 minutes).
    package static let resendLimit = RateLimit(3, per: 15 * 60_000)
    /// Ticket and proof length, base62 characters (~381 bits).
    package static let length = 64
    /// The longest code looked at; longer input is a wrong code.
    package static let maxCodeLength = 32
    /// The real server's code alphabet.
    package static let codeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    /// The header of `complete`'s 204 carrying the new session token: the real server sends it over the gateway
    /// (`AUTH_SESSION_CHANGE.new_token`), which this server does not have.
    package static let newTokenHeader = "X-Fluxer-New-Token"

    /// `XXXX-XXXX` over `[A-Z0-9]` (~41 bits), each character uniform.
    package static func generateCode() -> String {
        let chars = (0..<8).map { _ in codeAlphabet[Int(SecureRandom.uniform(UInt32(codeAlphabet.count)))] }
        return String(chars[0..<4]) + "-" + String(chars[4..<8])
    }

    package static func hash(_ value: String) -> [UInt8] { SHA256.hash(Array(value.utf8)) }

    /// 64 base62 characters: anything else is refused before any database read.
    package static func isWellFormed(_ value: String) -> Bool { value.utf8.count == length && Base62.isValid(value) }

    /// The keyed hash of a code for one ticket (case, spaces and the dash do not matter).
    package static func codeHash(_ code: String, ticketHash: [UInt8], keys: MFAKeys) -> [UInt8] {
        keys.codeHash(code, purpose: "password_change|" + Base64URL.encode(ticketHash))
    }

    // Errors, with the real server's validation codes.
    package static let invalidTicket = APIError.invalidField("ticket", "Invalid or expired ticket.", code: "INVALID_OR_EXPIRED_TICKET")
    package static let ticketCompleted = APIError.invalidField("ticket", "This ticket has already been completed.", code: "TICKET_ALREADY_COMPLETED")
    package static let invalidCode = APIError.invalidField("code", "Invalid verification code.", code: "INVALID_VERIFICATION_CODE")
    package static let codeExpired = APIError.invalidField("code", "Verification code has expired.", code: "VERIFICATION_CODE_EXPIRED")
    package static let codeNotIssued = APIError.invalidField("code", "No verification code has been issued.", code: "VERIFICATION_CODE_NOT_ISSUED")
    package static let invalidProof = APIError.invalidField("verification_proof", "Invalid proof token.", code: "INVALID_PROOF_TOKEN")
    package static let noEmail = APIError.invalidField("email", "You must have an email address to change it.", code: "MUST_HAVE_EMAIL_TO_CHANGE_IT")

    /// `complete`'s answer: 204, as Fluxer's document says, with the new session's token in `newTokenHeader`.
    package static func completed(token: String) -> HTTPResponse {
        HTTPResponse(status: .noContent, headers: [newTokenHeader: token, "Cache-Control": "no-store"], body: [])
    }
}
