import Postgres
import SQLite
import Testing

/// Rows in every table family through both drivers with the types the stores use: the same statements, the same
/// cascades, the same refusals; and what the PostgreSQL types give back.
@Suite struct SchemaRoundTripTests {
    typealias S = SchemaScenario

    static func counts(_ count: (String) throws -> Int64?) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for table in S.countsAfterRows.keys { counts[table] = try count(table) }
        return counts
    }

    static func counts(_ database: Database) throws -> [String: Int64] {
        try database.read { connection in
            try counts { try connection.queryOne("SELECT count(*) AS n FROM \($0)")?.int("n") }
        }
    }

    static func counts(_ database: PostgresDatabase) throws -> [String: Int64] {
        try database.read { connection in
            try counts { try connection.queryOne("SELECT count(*) AS n FROM \($0)")?.int("n") }
        }
    }

    @Test func scenario_coversEveryTable() throws {
        let database = try MigratedSQLite()
        defer { database.close() }
        #expect(Set(try SQLiteSchema.read(database.database).keys) == Set(S.countsAfterRows.keys))
    }

    @Test func deletes_cascadeAlikeOnBothBackends() throws {
        let sqlite = try MigratedSQLite()
        defer { sqlite.close() }
        let postgres = try MigratedPostgres()
        defer { postgres.close() }
        try sqlite.database.write { connection in for row in S.rows { try row.run(connection) } }
        try postgres.database.write { connection in for row in S.rows { try row.run(connection) } }
        #expect(try Self.counts(sqlite.database) == S.countsAfterRows)
        #expect(try Self.counts(postgres.database) == S.countsAfterRows)

        #expect(try sqlite.database.write { try S.deleteApplication.run($0) } == 1)
        #expect(try postgres.database.write { try S.deleteApplication.run($0) } == 1)
        #expect(try Self.counts(sqlite.database) == S.countsAfterDeletingApplication)
        #expect(try Self.counts(postgres.database) == S.countsAfterDeletingApplication)

        #expect(try sqlite.database.write { try S.deleteAlice.run($0) } == 1)
        #expect(try postgres.database.write { try S.deleteAlice.run($0) } == 1)
        #expect(try Self.counts(sqlite.database) == S.countsAfterDeletingAlice)
        #expect(try Self.counts(postgres.database) == S.countsAfterDeletingAlice)
    }

    @Test func constraints_refuseTheSameRowsOnBothBackends() throws {
        let sqlite = try MigratedSQLite()
        defer { sqlite.close() }
        let postgres = try MigratedPostgres()
        defer { postgres.close() }
        try sqlite.database.write { connection in for row in S.rows { try row.run(connection) } }
        try postgres.database.write { connection in for row in S.rows { try row.run(connection) } }
        for (reason, statement) in S.refused {
            do {
                _ = try sqlite.database.write { try statement.run($0) }
                Issue.record("SQLite accepted \(reason)")
            } catch let error as SQLiteError {
                #expect(error.code == 19, "SQLite refused \(reason) with \(error), not a constraint")  // SQLITE_CONSTRAINT
            }
            do {
                _ = try postgres.database.write { try statement.run($0) }
                Issue.record("PostgreSQL accepted \(reason)")
            } catch let error as PostgresError {
                #expect(error.isConstraintViolation, "PostgreSQL refused \(reason) with \(error), not a constraint")
            }
        }
        #expect(try Self.counts(sqlite.database) == S.countsAfterRows)
        #expect(try Self.counts(postgres.database) == S.countsAfterRows)
    }

    /// What a PostgreSQL store reads back: exact snowflakes, Bools, bytes, defaults, database-assigned ids, and
    /// the conditional updates single-use things are spent with.
    @Test func postgresTypes_roundTripAsTheStoresUseThem() throws {
        let postgres = try MigratedPostgres()
        defer { postgres.close() }
        let db = postgres.database
        try db.write { connection in for row in S.rows { try row.run(connection) } }

        try db.read { connection in
            let alice = try #require(try connection.queryOne("SELECT * FROM users WHERE id = $1", S.alice))
            #expect(alice.int("id") == S.alice)
            #expect(alice.int("discriminator") == 1)
            #expect(alice.bool("verified") == true)
            #expect(alice.bool("bot") == false)
            #expect(alice.bool("system") == false)
            #expect(alice.bool("sms_mfa_enabled") == true)
            #expect(alice.blob("totp_secret") == S.hash(1))
            #expect(alice.int("flags") == 0)
            #expect(alice.int("mfa_failures") == 0)
            #expect(alice.isNull("mfa_locked_until"))
            let tag = try connection.queryOne(
                "SELECT id FROM users WHERE lower(username) = lower($1) AND discriminator = $2", "aLiCe", 1)
            #expect(tag?.int("id") == S.alice)

            let session = try #require(try connection.queryOne("SELECT * FROM sessions WHERE id_hash = $1", S.hash(2)))
            #expect(session.int("user_id") == S.alice)
            #expect(session.bool("is_desktop") == true)

            let app = try #require(try connection.queryOne("SELECT * FROM applications WHERE id = $1", S.aliceBot))
            #expect(app.string("redirect_uris") == "[]")
            #expect(app.bool("bot_public") == true)
            #expect(app.bool("bot_require_code_grant") == false)
            #expect(app.bool("public_client") == true)
            #expect(app.blob("client_secret_hash") == S.hash(5))

            let member = try connection.queryOne("SELECT permissions FROM guild_members WHERE user_id = $1", S.alice)
            #expect(member?.int("permissions") == 1 << 40)
            #expect(try connection.queryOne("SELECT tat FROM rate_limits")?.int("tat") == S.now + 500)
            let pending = try connection.query(
                "SELECT id FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL ORDER BY next_attempt_at")
            #expect(pending.map { $0.int("id") } == [S.firstMessage])
            #expect(try connection.queryOne("SELECT attempts FROM outbox WHERE id = $1", S.firstMessage + 1)?.int("attempts") == 1)

            let code = try #require(try connection.queryOne("SELECT * FROM oauth2_codes WHERE code_hash = $1", S.hash(7)))
            #expect(code.bool("redirect_given") == true)
            #expect(code.int("family_id") == S.family)

            let keys = try connection.query("SELECT sign_count, backup_eligible FROM webauthn_credentials ORDER BY created_at, user_id")
            #expect(keys.map { $0.int("sign_count") } == [4_294_967_295, 0])
            #expect(keys.map { $0.bool("backup_eligible") } == [nil, true])
            let passkey = try connection.queryOne("SELECT user_id, client_key FROM webauthn_challenges WHERE purpose = 'passkey'")
            #expect(passkey?.isNull("user_id") == true)
            #expect(passkey?.string("client_key") == "2001:db8::/64")

            let identity = try connection.queryOne("SELECT email, last_login_at FROM sso_identities")
            #expect(identity?.string("email") == "alice@example.com")
            #expect(identity?.int("last_login_at") == S.now + 1)
            #expect(try connection.queryOne("SELECT link_user_id FROM sso_states")?.int("link_user_id") == S.alice)
        }

        // Database-assigned ids (SQLite rowids, PostgreSQL identities) come back from RETURNING and only grow.
        let smsIDs = try db.write { connection in
            try (0..<2).map { offset in
                try connection.queryOne(
                    """
                    INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at)
                    VALUES ($1, 'sudo', 'sudo', $2, $3, $4) RETURNING id
                    """,
                    S.alice, S.hash(50 + UInt8(offset)), S.now, S.now + 300_000)?.int("id")
            }
        }
        #expect(smsIDs.count == 2 && smsIDs[0] != nil && smsIDs[1]! > smsIDs[0]!)
        let auditID = try db.write {
            try $0.queryOne("INSERT INTO audit_events (at, event, outcome) VALUES ($1, 'x', 'success') RETURNING id", S.now)?.int("id")
        }
        #expect(auditID == 3)

        // Single use, race-free across nodes: a conditional update spends a code once.
        let spend = "UPDATE oauth2_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL"
        #expect(try db.write { try $0.run(spend, S.now + 5, S.hash(7)) } == 1)
        #expect(try db.write { try $0.run(spend, S.now + 6, S.hash(7)) } == 0)
    }
}
