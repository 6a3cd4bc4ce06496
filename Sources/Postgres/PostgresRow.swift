/// One result row. Columns are addressed by index or by name (first match wins).
/// An unknown name or an out-of-range index reads as `.null`.
public struct PostgresRow: Sendable {
    /// The column names, in result order.
    public let columnNames: [String]
    /// The values, in result order.
    public let values: [PostgresValue]

    /// Creates a row from names and values of equal length.
    public init(columnNames: [String], values: [PostgresValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The value at a column index, or `.null` when out of range.
    public subscript(_ index: Int) -> PostgresValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The value of the first column with this name, or `.null` when there is none.
    public subscript(_ name: String) -> PostgresValue {
        guard let index = columnNames.firstIndex(of: name) else { return .null }
        return self[index]
    }

    /// Whether the row has a column with this name.
    public func contains(_ name: String) -> Bool { columnNames.contains(name) }

    /// Whether the column is SQL `NULL` (or missing).
    public func isNull(_ name: String) -> Bool { self[name] == .null }

    /// The column as an integer, or nil if it is not an integer column.
    public func int(_ name: String) -> Int64? {
        if case .integer(let value) = self[name] { return value }
        return nil
    }

    /// The column as a double (a float column, or an integer converted), or nil.
    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .double(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The column as text, or nil if it is not read as text.
    public func string(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }

    /// The column as bytes, or nil if it is not `bytea`.
    public func blob(_ name: String) -> [UInt8]? {
        if case .bytes(let value) = self[name] { return value }
        return nil
    }

    /// The column as a boolean: a `bool` column, or an integer column read as non-zero (so stores written for
    /// SQLite's 0/1 integers read the same), else nil.
    public func bool(_ name: String) -> Bool? {
        switch self[name] {
        case .bool(let value): value
        case .integer(let value): value != 0
        default: nil
        }
    }
}
