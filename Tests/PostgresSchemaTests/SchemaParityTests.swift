import Postgres
import SQLite
import Testing

/// The SQLite schema (every embedded migration applied) against the PostgreSQL schema (every embedded PostgreSQL
/// migration applied): the same tables, columns in the same order, types that map, nullability, defaults,
/// primary keys, unique constraints, indexes (partial ones with the same predicate) and foreign keys with the
/// same ON DELETE action. Every intended difference is listed here; anything else fails.
///
/// A new SQLite migration fails this test until its PostgreSQL counterpart lands in migrations/postgres/.
@Suite struct SchemaParityTests {
    /// SQLite INTEGER columns holding 0/1 flags: BOOLEAN in PostgreSQL (stores bind and read a Swift Bool).
    static let booleanColumns: Set<String> = [
        "users.verified", "users.bot", "users.system", "users.sms_mfa_enabled",
        "sessions.is_desktop",
        "applications.bot_public", "applications.bot_require_code_grant", "applications.public_client",
        "oauth2_codes.redirect_given",
        "webauthn_credentials.backup_eligible",  // SQLite's CHECK (backup_eligible IN (0, 1)) is the type itself
        "ip_authorizations.resent",
    ]

    /// SQLite INTEGER columns that are INTEGER (int4) in PostgreSQL: small and bounded. Every other SQLite INTEGER
    /// (snowflakes, unix-ms times, flags, permission bits, counters that may pass 2^31) is BIGINT.
    static let int4Columns: Set<String> = [
        "users.discriminator", "users.mfa_failures",
        "outbox.attempts",
        "mfa_tickets.failed_attempts", "sms_codes.failed_attempts",
        "webauthn_credentials.algorithm",
        "password_change_tickets.code_failures",
        "bot_token_keys.kid",
    ]

    /// Keys SQLite assigns as rowids when an insert leaves them out, which the server relies on: identity
    /// columns in PostgreSQL. (Every other INTEGER PRIMARY KEY is a snowflake the server always supplies.)
    static let identityColumns: Set<String> = ["sms_codes.id", "audit_events.id", "cache_invalidations.id"]

    /// Tables only one backend has: none.
    static let onlyInSQLite: Set<String> = []
    static let onlyInPostgres: Set<String> = []

    /// SQLite's shape of one table in PostgreSQL's terms, with the intended differences applied.
    static func expectedInPostgres(_ table: String, _ sqlite: TableShape) -> TableShape {
        var shape = sqlite
        shape.columns = sqlite.columns.map { column in
            let key = "\(table).\(column.name)"
            var mapped = column
            switch column.type {
            case "INTEGER" where booleanColumns.contains(key):
                mapped.type = "boolean"
                mapped.defaultValue = column.defaultValue.map { ["0": "false", "1": "true"][$0] ?? "unmapped \($0)" }
            case "INTEGER" where int4Columns.contains(key): mapped.type = "integer"
            case "INTEGER": mapped.type = "bigint"
            case "TEXT": mapped.type = "text"
            case "BLOB": mapped.type = "bytea"
            default: mapped.type = "unmapped SQLite type \(column.type)"
            }
            mapped.isIdentity = identityColumns.contains(key)
            return mapped
        }
        return shape
    }

    @Test func everySQLiteTable_hasTheSameShapeInPostgres() throws {
        let sqliteDatabase = try MigratedSQLite()
        defer { sqliteDatabase.close() }
        let postgresDatabase = try MigratedPostgres()
        defer { postgresDatabase.close() }
        let sqlite = try SQLiteSchema.read(sqliteDatabase.database)
        let postgres = try PostgresSchema.read(postgresDatabase.database)
        #expect(sqlite.count > 20, "the SQLite schema was read")

        let missing = Set(sqlite.keys).subtracting(postgres.keys)
        let extra = Set(postgres.keys).subtracting(sqlite.keys)
        #expect(missing == Self.onlyInSQLite, "SQLite tables with no PostgreSQL counterpart: add a migration to migrations/postgres/")
        #expect(extra == Self.onlyInPostgres, "PostgreSQL tables SQLite does not have")

        for (table, shape) in sqlite.sorted(by: { $0.key < $1.key }) {
            guard let actual = postgres[table] else { continue }
            let expected = Self.expectedInPostgres(table, shape)
            #expect(actual.columns == expected.columns, "\(table): columns")
            #expect(actual.primaryKey == expected.primaryKey, "\(table): primary key")
            #expect(actual.uniqueConstraints == expected.uniqueConstraints, "\(table): unique constraints")
            #expect(actual.indexes == expected.indexes, "\(table): indexes")
            #expect(actual.foreignKeys == expected.foreignKeys, "\(table): foreign keys")
        }
    }

    /// The lists above name real columns of the right SQLite type, so a renamed column cannot hide in them.
    @Test func intendedDifferences_nameExistingIntegerColumns() throws {
        let database = try MigratedSQLite()
        defer { database.close() }
        let sqlite = try SQLiteSchema.read(database.database)
        let integerColumns = Set(sqlite.flatMap { table, shape in
            shape.columns.filter { $0.type == "INTEGER" }.map { "\(table).\($0.name)" }
        })
        let listed = Self.booleanColumns.union(Self.int4Columns).union(Self.identityColumns)
        #expect(listed.subtracting(integerColumns) == [])
        #expect(Self.booleanColumns.isDisjoint(with: Self.int4Columns))
    }

    /// The index parser behind the SQLite side of the comparison.
    @Test func sqliteIndexSQL_isParsed() {
        let plain = SQLiteSchema.parseIndex("CREATE UNIQUE INDEX users_tag ON users (lower(username), discriminator)")
        #expect(plain.terms.map(normaliseExpression) == ["lowerusername", "discriminator"])
        #expect(plain.predicate == nil)
        let partial = SQLiteSchema.parseIndex(
            "CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL")
        #expect(partial.terms == ["next_attempt_at"])
        #expect(partial.predicate.map(normaliseExpression) == "delivered_atisnullandfailed_atisnull")
        #expect(PostgresSchema.textArray(#"{"lower(username)",discriminator}"#) == ["lower(username)", "discriminator"])
        #expect(PostgresSchema.textArray("{}") == [])
        #expect(PostgresSchema.withoutCast("'[]'::text") == "'[]'")
        #expect(PostgresSchema.withoutCast("false") == "false")
    }
}
