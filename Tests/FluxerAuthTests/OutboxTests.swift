import Glibc
import SQLite
import Synchronization
import Testing
@testable import FluxerAuth

@Suite struct OutboxTests {
    @Test func enqueue_thenDeliver_noneDriver_marksDeliveredAndRedacts() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver(), redacts: true)
        let id = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: 1_000) }
        let pending = try #require(try fx.row(id))
        #expect(pending.int("next_attempt_at") == 1_000)
        #expect(pending.int("delivered_at") == nil)

        _ = try outbox.deliverDueMessages()
        let row = try #require(try fx.row(id))
        #expect(row.int("delivered_at") != nil)
        #expect(row.int("attempts") == 1)
        #expect(row.string("body") == "[redacted after delivery]")
        #expect(try fx.rows().first?.isDelivered == true)
    }

    @Test func devMode_keepsBodyAfterDelivery() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver(), redacts: false)
        let id = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: 1_000) }
        _ = try outbox.deliverDueMessages()
        let row = try #require(try fx.row(id))
        #expect(row.int("delivered_at") != nil)
        #expect(row.string("body") == OutboxMessage.make().body)
    }

    @Test func enqueue_rollsBackWithCallersTransaction() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver())
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try fx.database.write { db in
                try outbox.enqueue(.make(), in: db, now: 1)
                throw Abort()
            }
        }
        #expect(try fx.rows().isEmpty)
    }

    @Test func oversizeOrInvalidMessage_rejected_nothingInserted() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver())
        let cases: [(OutboxMessage, OutboxError)] = [
            (.make(body: String(repeating: "x", count: 64 * 1024 + 1)), .bodyTooLong(limit: 65_536)),
            (.make(recipient: String(repeating: "a", count: 309) + "@example.com"), .recipientTooLong(limit: 320)),
            (.make(subject: String(repeating: "s", count: 999)), .subjectTooLong(limit: 998)),
            (.make(subject: "Hi\r\nBcc: x@y"), .invalidSubject),
            (.make(recipient: ""), .invalidRecipient),
            (.make(kind: "Password Reset"), .invalidKind),
        ]
        for (message, expected) in cases {
            #expect(throws: expected) {
                try fx.database.write { db in try outbox.enqueue(message, in: db, now: 1) }
            }
        }
        #expect(try fx.rows().isEmpty)
        // At the limits: accepted.
        try fx.database.write { db in
            try outbox.enqueue(.make(recipient: String(repeating: "a", count: 308) + "@example.com",
                                     subject: String(repeating: "s", count: 998), body: String(repeating: "x", count: 64 * 1024)), in: db, now: 1)
        }
        #expect(try fx.rows().count == 1)
    }

    @Test func failures_backOffExponentially_thenGiveUp() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let clock = FakeClock()
        let driver = ScriptedDriver(Array(repeating: .failed(reason: "http status 500"), count: 10))
        let outbox = fx.makeOutbox(driver: driver, redacts: true, maxAttempts: 3, backoffBase: 1_000, clock: clock)
        let id = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: clock.now) }

        #expect(try outbox.deliverDueMessages() == 1_000)        // first failure: retry in 1 s
        var row = try #require(try fx.row(id))
        #expect(row.int("attempts") == 1)
        #expect(row.string("last_error") == "http status 500")
        #expect(row.int("next_attempt_at") == clock.now + 1_000)

        _ = try outbox.deliverDueMessages()                       // not due yet
        #expect(driver.calls.withLock { $0 } == 1)
        clock.advance(1_000)
        #expect(try outbox.deliverDueMessages() == 2_000)        // second failure: retry in 2 s
        clock.advance(2_000)
        #expect(try outbox.deliverDueMessages() == nil)          // third failure = max_attempts: given up
        row = try #require(try fx.row(id))
        #expect(row.int("attempts") == 3)
        #expect(row.int("failed_at") == clock.now)
        #expect(row.int("delivered_at") == nil)
        #expect(row.string("body") == "[redacted after delivery]")
        clock.advance(1_000_000)
        _ = try outbox.deliverDueMessages()
        #expect(driver.calls.withLock { $0 } == 3)
    }

    @Test func retryAfterFailure_thenSuccess() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let clock = FakeClock()
        let outbox = fx.makeOutbox(driver: ScriptedDriver([.failed(reason: "timeout")]), clock: clock)
        let id = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: clock.now) }
        _ = try outbox.deliverDueMessages()
        clock.advance(1_000)
        _ = try outbox.deliverDueMessages()
        let row = try #require(try fx.row(id))
        #expect(row.int("attempts") == 2)
        #expect(row.int("delivered_at") == clock.now)
        #expect(row.string("last_error") == nil)
    }

    @Test func backoff_doublesAndCaps() {
        let noJitter: (ClosedRange<Int64>) -> Int64 = { $0.lowerBound }
        #expect(OutboxBackoff.delay(afterAttempt: 1, base: 1_000, cap: 300_000, random: noJitter) == 1_000)
        #expect(OutboxBackoff.delay(afterAttempt: 2, base: 1_000, cap: 300_000, random: noJitter) == 2_000)
        #expect(OutboxBackoff.delay(afterAttempt: 3, base: 1_000, cap: 300_000, random: noJitter) == 4_000)
        #expect(OutboxBackoff.delay(afterAttempt: 9, base: 1_000, cap: 300_000, random: noJitter) == 256_000)
        #expect(OutboxBackoff.delay(afterAttempt: 10, base: 1_000, cap: 300_000, random: noJitter) == 300_000)
        #expect(OutboxBackoff.delay(afterAttempt: 99, base: 1_000, cap: 300_000, random: noJitter) == 300_000)
        let maxJitter: (ClosedRange<Int64>) -> Int64 = { $0.upperBound }
        #expect(OutboxBackoff.delay(afterAttempt: 1, base: 1_000, cap: 300_000, random: maxJitter) == 1_200)
        #expect(OutboxBackoff.delay(afterAttempt: 9, base: 1_000, cap: 300_000, random: maxJitter) == 300_000)
    }

    @Test func backgroundThread_deliversPromptlyOnWake_andStops() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver())
        outbox.start()
        let id = try outbox.send(.make())
        #expect(eventually(seconds: 3) { (try? fx.row(id))??.int("delivered_at") != nil })
        let started = Clock.wallMilliseconds()
        outbox.stop()
        outbox.stop()
        #expect(Clock.wallMilliseconds() - started < 1_000)
    }

    @Test func logDriver_logsMaskedRecipient_neverBody() throws {
        let (logger, lines) = CapturingLogHandler.make()
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: LogOutboxDriver(logger: logger), logger: logger)
        try fx.database.write { db in
            try outbox.enqueue(.make(), in: db, now: 1)
            try outbox.enqueue(.make(channel: .sms, recipient: "+15551234567", kind: "sms_code", subject: nil, body: "Your code is 123456"), in: db, now: 1)
        }
        _ = try outbox.deliverDueMessages()
        let log = lines.all.joined(separator: "\n")
        #expect(lines.all.count == 2)
        #expect(log.contains("to=a***@example.com"))
        #expect(log.contains("to=****4567"))
        #expect(log.contains("kind=password_reset") && log.contains("channel=sms"))
        for secret in ["alice@", "15551234567", "tok_ABC", "482913", "123456", "Reset", "https://"] {
            #expect(!log.contains(secret), "log leaks \(secret)")
        }
    }

    @Test func recipientMask() {
        #expect(RecipientMask.mask("alice@example.com", channel: .email) == "a***@example.com")
        #expect(RecipientMask.mask("@example.com", channel: .email) == "***@example.com")
        #expect(RecipientMask.mask("nonsense", channel: .email) == "***")
        #expect(RecipientMask.mask("+1 (555) 123-4567", channel: .sms) == "****4567")
        #expect(RecipientMask.mask("12345", channel: .sms) == "****")
    }

    @Test func json_extractsLinksAndCodes() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver())
        let body = """
            Verify at https://auth.example.com/verify?token=abc_DEF-1.x%2F. Or (http://127.0.0.1:8080/v?code=123456).
            Code: 98765432, not 12345 nor 123456789 nor id 1234567890123; again 482913.
            """
        try fx.database.write { db in try outbox.enqueue(.make(body: body), in: db, now: 1_714_564_800_123) }
        let json = try #require(try outbox.recent(limit: 1).first?.json)
        #expect(json["links"] == ["https://auth.example.com/verify?token=abc_DEF-1.x%2F", "http://127.0.0.1:8080/v?code=123456"])
        #expect(json["codes"] == ["123456", "98765432", "482913", "abc_DEF-1.x%2F"])
        #expect(json["created_at"] == "2024-05-01T12:00:00.123Z")
        #expect(json["delivered"] == false)
        #expect(json["attempts"] == 0)
        #expect(json["to"] == "alice@example.com")
        if case .string(let id)? = json["id"] { #expect(Int64(id) != nil) } else { Issue.record("id is not a string") }
    }

    @Test func recent_isNewestFirst() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let outbox = fx.makeOutbox(driver: NoneOutboxDriver())
        for i in 0..<3 {
            try fx.database.write { db in try outbox.enqueue(.make(kind: "k\(i)"), in: db, now: Int64(i)) }
        }
        #expect(try outbox.recent(limit: 10).map(\.kind) == ["k2", "k1", "k0"])
        #expect(try outbox.recent(limit: 2).map(\.kind) == ["k2", "k1"])
    }
}

/// Several nodes on one database: each outbox thread claims a message (a lease) before delivering it.
@Suite struct OutboxLeaseTests {
    /// A driver that takes a little time and records every id it is handed.
    final class RecordingDriver: OutboxDriver {
        let ids = Mutex<[Int64]>([])
        func deliver(_ message: StoredOutboxMessage) -> DeliveryResult {
            usleep(2_000)
            ids.withLock { $0.append(message.id) }
            return .delivered
        }
    }

    @Test func twoNodes_deliverEachMessageOnce() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let first = RecordingDriver(), second = RecordingDriver()
        let a = fx.makeOutbox(driver: first), b = fx.makeOutbox(driver: second)
        let count = 60
        var ids: [Int64] = []
        for _ in 0..<count { ids.append(try a.send(.make())) }
        a.start()
        b.start()
        for _ in 0..<200 where try fx.database.read({ try $0.queryOne("SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL")?.int("n") }) != 0 {
            usleep(20_000)
        }
        a.stop()
        b.stop()
        let delivered = first.ids.withLock { $0 } + second.ids.withLock { $0 }
        #expect(delivered.count == count, "each message handed to a driver exactly once")
        #expect(Set(delivered) == Set(ids))
        #expect(try fx.rows().allSatisfy { $0.isDelivered })
    }

    /// A node that claimed a message and died: nobody delivers it until the lease ends, then another node does.
    @Test func deadNodesLease_expiresThenAnotherNodeDelivers() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let clock = FakeClock()
        let driver = RecordingDriver()
        let outbox = fx.makeOutbox(driver: driver, clock: clock)
        let id = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: clock.now) }
        // What a claim by another node leaves behind.
        try fx.database.write { db in _ = try db.run("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", clock.now + 60_000, id) }
        _ = try outbox.deliverDueMessages()
        #expect(driver.ids.withLock { $0 }.isEmpty)
        clock.advance(60_000)
        _ = try outbox.deliverDueMessages()
        #expect(driver.ids.withLock { $0 } == [id])
        #expect(try fx.row(id)?.int("attempts") == 1)
    }
}
