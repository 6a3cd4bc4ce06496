import Postgres
import SQLite

/// One result row from either backend. Columns are addressed by name (first match wins); an unknown name reads
/// as `.null`. Booleans and integers read interchangeably, so a column that is `INTEGER` 0/1 in SQLite and
/// `boolean` in PostgreSQL reads the same through `bool(_:)` (and `int(_:)`).
public struct SQLRow: Sendable {
    /// The column names, in result order.
    public let columnNames: [String]
    /// The values, in result order.
    public let values: [SQLValue]

    public init(columnNames: [String], values: [SQLValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    init(_ row: Row) {
        self.init(columnNames: row.columnNames, values: row.values.map(SQLValue.init))
    }

    init(_ row: PostgresRow) {
        self.init(columnNames: row.columnNames, values: row.values.map(SQLValue.init))
    }

    /// The value at a column index, or `.null` when out of range.
    public subscript(_ index: Int) -> SQLValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The value of the first column with this name, or `.null` when there is none.
    public subscript(_ name: String) -> SQLValue {
        guard let index = columnNames.firstIndex(of: name) else { return .null }
        return self[index]
    }

    /// Whether the row has a column with this name.
    public func contains(_ name: String) -> Bool { columnNames.contains(name) }

    /// The column as an integer (a boolean reads as 0 or 1), or nil.
    public func int(_ name: String) -> Int64? {
        switch self[name] {
        case .integer(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// The column as a double (an integer converted), or nil.
    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .double(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The column as text, or nil.
    public func string(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }

    /// The column as bytes, or nil.
    public func blob(_ name: String) -> [UInt8]? {
        if case .blob(let value) = self[name] { return value }
        return nil
    }

    /// The column as a boolean (a non-zero integer is true), or nil.
    public func bool(_ name: String) -> Bool? {
        switch self[name] {
        case .bool(let value): value
        case .integer(let value): value != 0
        default: nil
        }
    }
}
