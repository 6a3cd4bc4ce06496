import FluxerDomain
import FluxerJSON

/// What `fluxer-auth db copy` copied, as the target holds it after the commit.
public struct DatabaseCopySummary: Sendable, Equatable {
    /// Rows per table, by table name.
    public let tables: [(name: String, rows: Int64)]
    /// The target URL without its password.
    public let target: String

    /// All rows in `tables`.
    public var rows: Int64 { tables.reduce(0) { $0 + $1.rows } }

    /// `{"tables": {name: rows, …}, "rows": total, "target": url}` on one line.
    public var json: String {
        JSONValue.object([
            ("tables", .object(tables.map { ($0.name, .int($0.rows)) })),
            ("rows", .int(rows)),
            ("target", .string(target)),
        ]).serialized
    }

    public static func == (lhs: DatabaseCopySummary, rhs: DatabaseCopySummary) -> Bool {
        lhs.target == rhs.target && lhs.tables.elementsEqual(rhs.tables) { $0.name == $1.name && $0.rows == $1.rows }
    }
}
