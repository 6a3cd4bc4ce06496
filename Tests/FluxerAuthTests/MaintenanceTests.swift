import FluxerPersistence
import Foundation
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite

/// Expired rows go; live ones stay (DB-10: batches of at most 1,000 rows per transaction).
@Suite struct MaintenanceTests {
    @Test func expiredRowsAreDeleted_liveRowsKept() throws {
        // A migrated database with no server (whose own maintenance thread would race with the inserts below).
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        let db = try config.openDatabase(readers: 2, poolSize: 8)
        defer { db.close() }
        let now = Clock.wallMilliseconds()
        let maintenance = Maintenance(database: db, clock: { now })
        try db.write { c in
            try c.run("INSERT INTO users (id, username, discriminator, created_at) VALUES (1, 'u', 1, 0)")
            try c.run("INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES (?, 1, 0, ?), (?, 1, 0, ?)", [UInt8(1)], now - 1, [UInt8(2)], now + 60_000)
            try c.run("INSERT INTO rate_limits (key, tat) VALUES ('old', ?), ('live', ?)", now - 1, now + 60_000)
            try c.run("INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES (?, 1, 'login', ?), (?, 1, 'login', ?)", [UInt8(3)], now - 1, [UInt8(4)], now + 60_000)
            for i in 0..<2_500 {
                try c.run("INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES (?, 1, 'verify_email', 'a@b.c', 0, ?)",
                          [UInt8(i & 0xff), UInt8(i >> 8)], i < 2_400 ? now - 1 : now + 60_000)
            }
        }
        let removed = maintenance.runOnce()
        #expect(removed == 1 + 1 + 1 + 2_400)
        let left = try db.read { c in
            (try c.queryOne("SELECT count(*) AS n FROM mfa_tickets")?.int("n"), try c.queryOne("SELECT count(*) AS n FROM rate_limits")?.int("n"),
             try c.queryOne("SELECT count(*) AS n FROM webauthn_challenges")?.int("n"), try c.queryOne("SELECT count(*) AS n FROM email_tokens")?.int("n"))
        }
        #expect(left.0 == 1 && left.1 == 1 && left.2 == 1 && left.3 == 100)
    }
}

/// Issue 13, "background work never runs twice": maintenance and audit pruning take a named lease first.
@Suite struct JobLeaseTests {
    static func database(_ dir: TempDir) throws -> DataStore {
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        return try config.openDatabase(readers: 2, poolSize: 8)
    }

    @Test func twoNodes_oneLeaseHolder_untilItExpires_thenTheOther() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let db = try Self.database(dir)
        defer { db.close() }
        let a = JobLease(name: "maintenance", durationMilliseconds: 1_000, holder: "node-a")
        let b = JobLease(name: "maintenance", durationMilliseconds: 1_000, holder: "node-b")
        #expect(a.take(now: 10_000, on: db))
        #expect(!b.take(now: 10_500, on: db), "a live lease was taken over")
        #expect(a.take(now: 10_900, on: db), "the holder could not renew")
        #expect(!b.take(now: 11_800, on: db), "the renewal did not extend the lease")
        #expect(b.take(now: 11_900, on: db), "an expired lease was not taken over")
        #expect(!a.take(now: 12_000, on: db))
        // Another job's lease is its own.
        #expect(JobLease(name: "audit_prune", durationMilliseconds: 1_000, holder: "node-a").take(now: 12_000, on: db))
    }

    @Test func concurrentTakers_exactlyOneWins() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let db = try Self.database(dir)
        defer { db.close() }
        let wins = Atomic<Int>(0)
        let group = DispatchGroup()
        for i in 0..<16 {
            group.enter()
            Thread {
                if JobLease(name: "maintenance", durationMilliseconds: 60_000, holder: "node-\(i)").take(now: 5_000, on: db) {
                    wins.add(1, ordering: .relaxed)
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(wins.load(ordering: .relaxed) == 1)
    }

    @Test func maintenance_sweepsOnlyOnTheLeaseHolder() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let db = try Self.database(dir)
        defer { db.close() }
        let now = Clock.wallMilliseconds()
        try db.write { c in _ = try c.run("INSERT INTO rate_limits (key, tat) VALUES ('old', ?)", now - 1) }
        let maintenance = Maintenance(database: db, clock: { now })
        let other = JobLease(name: "maintenance", durationMilliseconds: 60_000, holder: "another-node")
        #expect(other.take(now: now, on: db))
        #expect(maintenance.runIfLeased() == nil, "swept while another node held the lease")
        #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM rate_limits")?.int("n") } == 1)
        let later = Maintenance(database: db, clock: { now + 60_000 })
        #expect(later.runIfLeased() == 1)
    }

    @Test func auditPrune_onlyOnTheLeaseHolder() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let db = try Self.database(dir)
        defer { db.close() }
        let now = Clock.wallMilliseconds()
        try db.write { c in _ = try c.run("INSERT INTO audit_events (at, event, outcome) VALUES (?, 'x', 'success')", now - 3 * 86_400_000) }
        let audit = AuditLog(database: db, retentionDays: 1, clock: { now })
        #expect(JobLease(name: "audit_prune", durationMilliseconds: 60_000, holder: "another-node").take(now: now, on: db))
        audit.prune(now: now)
        #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM audit_events")?.int("n") } == 1)
        audit.prune(now: now + 60_000)
        #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM audit_events")?.int("n") } == 0)
    }
}
