import Testing
@testable import FluxerAuth
import SQLite

/// Expired rows go; live ones stay (DB-10: batches of at most 1,000 rows per transaction).
@Suite struct MaintenanceTests {
    @Test func expiredRowsAreDeleted_liveRowsKept() throws {
        // A migrated database with no server (whose own maintenance thread would race with the inserts below).
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        let db = try Database(path: config.databasePath)
        defer { db.close() }
        let now = Clock.wallMilliseconds()
        let maintenance = Maintenance(database: db, clock: { now })
        try db.write { c in
            try c.run("INSERT INTO users (id, username, discriminator, created_at) VALUES (1, 'u', 1, 0)")
            try c.run("INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES (x'01', 1, 0, ?), (x'02', 1, 0, ?)", now - 1, now + 60_000)
            try c.run("INSERT INTO rate_limits (key, tat) VALUES ('old', ?), ('live', ?)", now - 1, now + 60_000)
            try c.run("INSERT INTO webauthn_challenges (challenge_hash, user_id, purpose, expires_at) VALUES (x'03', 1, 'login', ?), (x'04', 1, 'login', ?)", now - 1, now + 60_000)
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
