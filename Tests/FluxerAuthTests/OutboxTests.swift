import FluxerCrypto
import Glibc
import Logging
import SQLite
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

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
        #expect(row.string("body").flatMap(OutboxFixture.seal.open) == OutboxMessage.make().body)
        #expect(try fx.rows().first?.body == OutboxMessage.make().body)
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

/// Issue 12: reset and verification links and SMS codes are sealed at rest with the server key until delivered.
@Suite struct OutboxSealTests {
    /// A driver that keeps what it was handed.
    final class Keeping: OutboxDriver {
        let bodies = Mutex<[String]>([])
        func deliver(_ message: StoredOutboxMessage) -> DeliveryResult {
            bodies.withLock { $0.append(message.body) }
            return .delivered
        }
    }

    @Test func outboxBodies_sealedAtRest_openedForTheDriverAndTheDevView() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let driver = Keeping()
        let outbox = fx.makeOutbox(driver: driver, redacts: false)
        let id = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: 1_000) }
        let stored = try #require(try fx.row(id)?.string("body"))
        #expect(stored.hasPrefix("sealed:v1:"))
        #expect(!stored.contains("tok_ABC-123") && !stored.contains("482913"), "the secret sits in plain text")
        #expect(try fx.rows().first?.body == OutboxMessage.make().body)
        #expect(try fx.rows().first?.json.serialized.contains("482913") == true)
        _ = try outbox.deliverDueMessages()
        #expect(driver.bodies.withLock { $0 } == [OutboxMessage.make().body])
        // Each seal has its own nonce: the same body twice is stored two ways.
        let again = try fx.database.write { db in try outbox.enqueue(.make(), in: db, now: 1_000) }
        #expect(try fx.row(again)?.string("body") != stored)
    }

    @Test func sealedBody_underAnotherKey_givenUp_neverDeliveredGarbled() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        let id = try fx.database.write { db in try fx.makeOutbox(driver: NoneOutboxDriver()).enqueue(.make(), in: db, now: 1) }
        let driver = Keeping()
        let other = Outbox(database: fx.database, snowflakes: SnowflakeGenerator(workerID: 2), driver: driver,
                           settings: OutboxSettings(), seal: OutboxSeal(secret: [UInt8](repeating: 1, count: 32)),
                           logger: .init(label: "test") { _ in SwiftLogNoOpLogHandler() }, clock: { 10 })
        #expect(try other.recent(limit: 1).first?.body == OutboxSeal.unreadable)
        _ = try other.deliverDueMessages()
        #expect(driver.bodies.withLock { $0 }.isEmpty)
        let row = try #require(try fx.row(id))
        #expect(row.int("failed_at") != nil)
        #expect(row.string("last_error") == "the sealed body cannot be opened with this server key")
    }

    @Test func plaintextBodies_fromBeforeSealing_stillDelivered() throws {
        let fx = try OutboxFixture()
        defer { fx.remove() }
        try fx.database.write { db in
            _ = try db.run("""
                INSERT INTO outbox (id, channel, recipient, kind, subject, body, created_at, next_attempt_at)
                VALUES (1, 'email', 'old@example.com', 'verify_email', 'Verify', 'legacy body', 1, 1)
                """)
        }
        let driver = Keeping()
        _ = try fx.makeOutbox(driver: driver).deliverDueMessages()
        #expect(driver.bodies.withLock { $0 } == ["legacy body"])
    }

    /// The whole path: a password-reset email and an SMS code, through the real routes; the database holds
    /// neither the link's token nor the code, the dev view and `fluxer-auth outbox` show both.
    @Test func resetLinkAndSMSCode_notInTheDatabase_shownByTheDevViewAndTheCLI() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.totpUser("alice")
        #expect(h.post("/auth/forgot", ["email": alice.email]).status == 204)
        #expect(h.post("/users/@me/phone/send-verification", ["phone": "+14155550123"], auth: alice.auth).status == 204)
        let outbox = h.running.app.context.outbox
        #expect(eventually { (try? outbox.recent(limit: 10))?.contains { $0.kind == "password_reset" } == true })
        let link = try #require(try outbox.recent(limit: 10).first { $0.kind == "password_reset" }?.body)
        let token = try #require(OutboxBodyScan(link).links.first.flatMap { $0.split(separator: "token=").last.map(String.init) })
        let code = try h.lastSMSCode(to: "+14155550123")
        let raw = try h.database.read { db in try db.query("SELECT body FROM outbox").compactMap { $0.string("body") } }
        #expect(raw.count >= 2 && raw.allSatisfy { $0.hasPrefix("sealed:v1:") })
        #expect(!raw.contains { $0.contains(token) || $0.contains(code) })

        var lines: [String] = []
        var config = h.running.app.context.config
        config.secretKey = h.running.app.context.secretKey
        try OutboxCommand.run(config: config, limit: 10, follow: false) { lines.append($0) }
        #expect(lines.count == raw.count)
        #expect(lines.contains { $0.contains(token) } && lines.contains { $0.contains(code) })
        config.secretKey = nil
        config.dev = false
        lines = []
        try OutboxCommand.run(config: config, limit: 10, follow: false) { lines.append($0) }
        #expect(lines.count == raw.count && lines.allSatisfy { $0.contains(OutboxSeal.unreadable) })
    }
}
