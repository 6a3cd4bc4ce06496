@testable import FluxerAPI
@testable import FluxerApp
import Glibc
import Postgres
import PostgresTestSupport
import SQLite
@testable import FluxerPersistence

/// A SQLite file for `db copy` to read: migrated (to the binary's latest schema unless told otherwise), filled,
/// then closed, as a stopped server leaves it. `remove()` it (in a `defer`) when done.
struct CopySourceFile {
    let directory: String
    var path: String { directory + "/source.sqlite" }

    init(migrations: [Migration] = EmbeddedMigrations.all, _ fill: (Connection) throws -> Void = { _ in }) throws {
        directory = try makeTemporaryDirectory("fluxer-copy-source")
        let database = try Database(path: directory + "/source.sqlite", readerCount: 1)
        defer { database.close() }
        _ = try Migrator(migrations: migrations).migrate(database)
        try database.write(fill)
    }

    /// Runs more statements on the (closed) file.
    func write(_ body: (Connection) throws -> Void) throws {
        let database = try Database(path: path, readerCount: 1)
        defer { database.close() }
        try database.write(body)
    }

    func remove() { removeTree(directory) }
}

func makeTemporaryDirectory(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw HelperError("mkdtemp failed: errno \(errno)") }
    return String(cString: created)
}

/// The schema scenario and then the corners a copy can get wrong: a snowflake past 2^63 (a UInt64 bit pattern
/// in an Int64), text that needs escaping, an empty blob, AUTOINCREMENT ids whose newest row was deleted, and
/// worker-id leases a released and a crashed holder left behind.
enum CopyScenario {
    typealias S = SchemaScenario

    static let highUser = Int64(bitPattern: 0xF000_0000_0000_0001)
    static let awkwardText = "Qu\"ote \\ back\u{1}slash\ttab\nnewline é 😀 \u{7F}"
    /// The `now` the copy is run with: the crashed holder's lease (ending at `S.now`) is over by then.
    static let copyTime = S.now + 3_600_000
    /// A released lease: its floor is the holder's high-water mark.
    static let releasedWorker: (id: Int64, floor: Int64) = (5, S.now - 5_000)
    /// A crashed holder: the floor below its lease end, which the next holder must mint above.
    static let crashedWorker: (id: Int64, floor: Int64, expiresAt: Int64) = (6, S.now - 60_000, S.now)

    static func fill(_ connection: Connection) throws {
        for row in S.rows { try row.run(connection) }
        try connection.run(
            "INSERT INTO users (id, username, discriminator, global_name, created_at) VALUES (?, ?, ?, ?, ?)",
            highUser, "zed", 42, awkwardText, S.now)
        try connection.run(
            """
            INSERT INTO webauthn_credentials (credential_id, user_id, name, public_key, algorithm, aaguid, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, S.hash(60), highUser, awkwardText, [UInt8](), -8, [UInt8](), S.now)
        try connection.run(
            "INSERT INTO sms_codes (user_id, purpose, scope_key, code_hash, created_at, expires_at) VALUES (?, 'sudo', 'sudo', ?, ?, ?)",
            highUser, S.hash(61), S.now, S.now + 1)
        for offset in 0..<3 {
            try connection.run("INSERT INTO audit_events (at, event, outcome) VALUES (?, 'x', 'success')", S.now + Int64(offset))
        }
        // AUTOINCREMENT remembers id 5 in sqlite_sequence; PostgreSQL must not hand it out again.
        try connection.run("DELETE FROM audit_events WHERE id = 5")
        try connection.run(
            "UPDATE worker_leases SET floor_ms = ? WHERE worker_id = ?", releasedWorker.floor, releasedWorker.id)
        try connection.run(
            """
            UPDATE worker_leases SET holder = 'dead-holder', pid = 42, hostname = 'old-host', started_at = ?, renewed_at = ?,
                expires_at = ?, floor_ms = ? WHERE worker_id = ?
            """, crashedWorker.floor, crashedWorker.floor, crashedWorker.expiresAt, crashedWorker.floor, crashedWorker.id)
    }
}

/// What a table holds, as comparable rows: each SQLite value converted the way the PostgreSQL schema stores it
/// (0/1 → boolean for BOOLEAN columns, blob → bytes), sorted, so both backends' contents compare value by value.
enum TableContents {
    /// The target's columns and their `data_type`s, in order.
    static func columns(_ table: String, _ connection: PostgresConnection) throws -> [(name: String, type: String)] {
        try connection.query(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """, table
        ).map { ($0.string("column_name") ?? "", $0.string("data_type") ?? "") }
    }

    static func sqlite(_ table: String, columns: [(name: String, type: String)], _ connection: Connection) throws -> [[PostgresValue]] {
        let list = columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        return try connection.query("SELECT \(list) FROM \"\(table)\"").map { row in
            try columns.enumerated().map { index, column in try converted(row[index], type: column.type, "\(table).\(column.name)") }
        }.sorted(by: ordered)
    }

    static func postgres(_ table: String, columns: [(name: String, type: String)], _ connection: PostgresConnection) throws -> [[PostgresValue]] {
        let list = columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        return try connection.query("SELECT \(list) FROM \"\(table)\"").map(\.values).sorted(by: ordered)
    }

    private static func converted(_ value: SQLiteValue, type: String, _ name: String) throws -> PostgresValue {
        switch (value, type) {
        case (.null, _): return .null
        case (.integer(let n), "boolean"):
            guard n == 0 || n == 1 else { throw HelperError("\(name) holds \(n), not a boolean") }
            return .bool(n == 1)
        case (.integer(let n), _): return .integer(n)
        case (.text(let text), _): return .text(text)
        case (.blob(let bytes), _): return .bytes(bytes)
        case (.real(let d), _): return .double(d)
        }
    }

    private static func ordered(_ a: [PostgresValue], _ b: [PostgresValue]) -> Bool {
        String(describing: a) < String(describing: b)
    }
}
