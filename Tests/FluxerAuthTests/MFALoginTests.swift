import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// The MFA login step over HTTP: the ticket answer, `/auth/login/mfa/totp`, ticket expiry, reuse, the
/// five-failure limit, and parallel submissions of one code (AC-02 style, TO-03).
@Suite struct MFALoginTests {
    @Test func login_answersATicket_thenTOTPGivesASession() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        let login = h.login(alice)
        #expect(login.status == 200)
        #expect(login.header("Cache-Control") == "no-store")
        let body = jsonObject(login.body)
        #expect(Set(body.keys) == ["mfa", "ticket", "allowed_methods", "sms_phone_hint", "sms", "totp", "webauthn"])
        #expect(body["mfa"] as? Bool == true)
        let ticket = try #require(body["ticket"] as? String)
        #expect(ticket.count == 64 && ticket.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(body["allowed_methods"] as? [String] == ["totp"])
        #expect(body["sms_phone_hint"] is NSNull)
        #expect(body["sms"] as? Bool == false && body["totp"] as? Bool == true && body["webauthn"] as? Bool == false)
        #expect(body["token"] == nil, "no session before the second factor")
        // Only the ticket's hash is stored.
        let stored = try h.database.read { db in try db.query("SELECT ticket_hash FROM mfa_tickets").compactMap { $0.blob("ticket_hash") } }
        #expect(stored == [SHA256.hash(Array(ticket.utf8))])

        let sessionsBefore = try h.count("sessions")
        let done = h.loginTOTP(ticket, h.freshCode(alice))
        #expect(done.status == 200, "\(done.body)")
        let session = jsonObject(done.body)
        #expect(Set(session.keys) == ["token", "user_id"])
        #expect(session["user_id"] as? String == alice.id)
        let token = try #require(session["token"] as? String)
        #expect(h.send("GET", "/users/@me", auth: token).status == 200)
        #expect(try h.count("sessions") == sessionsBefore + 1)
        #expect(try h.count("mfa_tickets") == 0, "consumed")

        // Reuse after success: the ticket is gone.
        #expect(isTicketTimeout(h.loginTOTP(ticket, h.freshCode(alice))))
    }

    @Test func unknownOrExpiredTicket_timesOut() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let bob = try h.totpUser("bob")
        let unknown = String(repeating: "a", count: 64)
        #expect(isTicketTimeout(h.loginTOTP(unknown, h.freshCode(bob))))
        #expect(isTicketTimeout(h.loginTOTP("short", h.freshCode(bob))))
        #expect(isTicketTimeout(h.loginTOTP(String(repeating: "!", count: 64), h.freshCode(bob))))

        // Valid for 5 minutes by the app clock: at 4:59 it works, at 5:00 it is gone.
        let early = try h.ticket(bob)
        h.clock.advance(milliseconds: 5 * 60_000 - 1_000)
        #expect(h.loginTOTP(early, h.code(bob.secret!)).status == 200)
        let late = try h.ticket(bob)
        h.clock.advance(milliseconds: 5 * 60_000)
        let expired = h.loginTOTP(late, h.code(bob.secret!))
        #expect(isTicketTimeout(expired), "\(expired.body)")
        #expect(errorCode(expired) == "INVALID_FORM_BODY")
        // The code was not spent by the refused attempt: it still works with a live ticket.
        #expect(h.loginTOTP(try h.ticket(bob), h.code(bob.secret!)).status == 200)
    }

    @Test func fiveWrongCodes_killTheTicket() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let carol = try h.totpUser("carol")
        let secret = try #require(carol.secret)
        let ticket = try h.ticket(carol)
        h.clock.advance(milliseconds: 30_000)
        for attempt in 1...5 {
            let wrong = h.loginTOTP(ticket, h.code(secret, steps: 10 + Int64(attempt)))
            #expect(isInvalidCode(wrong), "attempt \(attempt): \(wrong.body)")
        }
        let sixth = h.loginTOTP(ticket, h.code(secret))
        #expect(isTicketTimeout(sixth), "\(sixth.body)")
        #expect(try h.count("sessions", where: "user_id = \(carol.id)") == 1, "only the registration session")
        // Four wrong codes leave the ticket usable.
        let other = try h.ticket(carol)
        for attempt in 1...4 { #expect(isInvalidCode(h.loginTOTP(other, h.code(secret, steps: 10 + Int64(attempt))))) }
        #expect(h.loginTOTP(other, h.code(secret)).status == 200)
    }

    /// TO-03 / AC-02: one code submitted at once through one ticket, or through several, gives exactly one session.
    @Test func parallelSubmissions_exactlyOneSucceeds() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let dave = try h.totpUser("dave")
        let code = h.freshCode(dave)
        let ticket = try h.ticket(dave)
        let port = h.port
        let sameTicket = concurrently(6) { _ in loginTOTPRequest(port: port, ticket: ticket, code: code) }
        #expect(sameTicket.filter { $0.status == 200 }.count == 1, "\(sameTicket.map(\.status))")
        // Every loser: 400 INVALID_FORM_BODY at `code`. Which message depends on the race: the ticket already
        // consumed by the winner ("Session timeout"), or the TOTP step already used (TO-03, "Invalid code").
        let losers = sameTicket.filter { $0.status != 200 }
        #expect(losers.allSatisfy { $0.status == 400 && errorCode($0) == "INVALID_FORM_BODY" }, "\(losers.map(\.body))")
        #expect(losers.allSatisfy { r in
            let items = formItems(r)
            return items.count == 1 && items[0]["path"] as? String == "code"
                && ["Invalid code", "Session timeout. Please refresh the page and log in again."].contains(items[0]["message"] as? String ?? "")
        }, "\(losers.map(\.body))")

        let next = h.freshCode(dave)
        let tickets = try (0..<6).map { _ in try h.ticket(dave) }
        let manyTickets = concurrently(6) { i in loginTOTPRequest(port: port, ticket: tickets[i], code: next) }
        #expect(manyTickets.filter { $0.status == 200 }.count == 1, "\(manyTickets.map(\.status))")

        let backup = dave.backupCodes[0]
        let backupTickets = try (0..<6).map { _ in try h.ticket(dave) }
        let backups = concurrently(6) { i in loginTOTPRequest(port: port, ticket: backupTickets[i], code: backup) }
        #expect(backups.filter { $0.status == 200 }.count == 1, "\(backups.map(\.status))")
        #expect(try h.count("sessions", where: "user_id = \(dave.id)") == 4, "registration + three logins")
    }

    @Test func otherMethods_refusedForATOTPOnlyUser() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let erin = try h.totpUser("erin")
        let ticket = try h.ticket(erin)
        let send = h.post("/auth/login/mfa/sms/send", ["ticket": ticket])
        #expect(send.status == 400 && errorCode(send) == "SMS_MFA_NOT_ENABLED")
        #expect(isInvalidCode(h.post("/auth/login/mfa/sms", ["ticket": ticket, "code": "123456"])))
        let options = h.post("/auth/login/mfa/webauthn/authentication-options", ["ticket": ticket])
        #expect(isTicketTimeout(options, path: "ticket"), "\(options.body)")
        // Two failures counted; the ticket still takes the right code.
        #expect(h.loginTOTP(ticket, h.freshCode(erin)).status == 200)
        // A user without MFA gets a session at once, never a ticket.
        let plain = try h.register("plain")
        let body = jsonObject(h.login(plain).body)
        #expect(body["token"] is String && body["mfa"] == nil && body["ticket"] == nil)
    }
}
