import Postgres
import PostgresTestSupport
import SQLite

/// Calls a driver's variadic `run`/`query` with an array of arguments (Swift cannot splat an array into a
/// variadic parameter, but a method reference keeps its variadic type).
func spread<Argument, Result>(
    _ call: (String, Argument...) throws -> Result, _ sql: String, _ a: [Argument]
) throws -> Result {
    switch a.count {
    case 0: try call(sql)
    case 1: try call(sql, a[0])
    case 2: try call(sql, a[0], a[1])
    case 3: try call(sql, a[0], a[1], a[2])
    case 4: try call(sql, a[0], a[1], a[2], a[3])
    case 5: try call(sql, a[0], a[1], a[2], a[3], a[4])
    case 6: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5])
    case 7: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5], a[6])
    case 8: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    case 9: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
    case 10: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9])
    case 11: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10])
    case 12: try call(sql, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11])
    default: throw HelperError("spread takes at most 12 arguments, got \(a.count)")
    }
}

/// A value a store binds, for statements run on both backends: Swift `Bool` binds as 0/1 in SQLite and as a
/// boolean in PostgreSQL, exactly as a store's `Bool` argument would.
enum PortableValue: Sendable {
    case int(Int64)
    case text(String)
    case bytes([UInt8])
    case bool(Bool)
    case null

    var sqlite: SQLiteBindable? {
        switch self {
        case .int(let value): value
        case .text(let value): value
        case .bytes(let value): value
        case .bool(let value): value
        case .null: nil
        }
    }

    var postgres: PostgresBindable? {
        switch self {
        case .int(let value): value
        case .text(let value): value
        case .bytes(let value): value
        case .bool(let value): value
        case .null: nil
        }
    }
}

/// One statement written for PostgreSQL (`$1`, `$2` …) and run unchanged on SQLite, which reads `$1` as `?1`
/// once the dollar is swapped (the statements hold no other `$`).
struct PortableStatement: Sendable {
    let sql: String
    let arguments: [PortableValue]

    init(_ sql: String, _ arguments: PortableValue...) {
        self.sql = sql
        self.arguments = arguments
    }

    var sqliteSQL: String { String(sql.map { $0 == "$" ? "?" : $0 }) }

    @discardableResult
    func run(_ connection: Connection) throws -> Int {
        try spread(connection.run, sqliteSQL, arguments.map(\.sqlite))
    }

    @discardableResult
    func run(_ connection: PostgresConnection) throws -> Int {
        try spread(connection.run, sql, arguments.map(\.postgres))
    }
}
