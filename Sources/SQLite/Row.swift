/// One result row. Columns are addressed by index or by name (first match wins).
/// An unknown name or an out-of-range index reads as `.null`.
public struct Row: Sendable {
    /// The column names, in result order.
    public let columnNames: [String]
    /// The values, in result order.
    public let values: [SQLiteValue]

    /// Creates a row from names and values of equal length.
    public init(columnNames: [String], values: [SQLiteValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The value at a column index, or `.null` when out of range.
    public subscript(_ index: Int) -> SQLiteValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The value of the first column with this name, or `.null` when there is none.
    public subscript(_ name: String) -> SQLiteValue {
        guard let index = columnNames.firstIndex(of: name) else { return .null }
        return self[index]
    }

    /// Whether the row has a column with this name.
    public func contains(_ name: String) -> Bool { columnNames.contains(name) }

    /// The column as an integer, or nil if it is not an `INTEGER`.
    public func int(_ name: String) -> Int64? {
        if case .integer(let value) = self[name] { return value }
        return nil
    }

    /// The column as a double (`REAL`, or an `INTEGER` converted), or nil.
    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The column as text, or nil if it is not `TEXT`.
    public func string(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }

    /// The column as bytes, or nil if it is not a `BLOB`.
    public func blob(_ name: String) -> [UInt8]? {
        if case .blob(let value) = self[name] { return value }
        return nil
    }

    /// The column as a boolean (`INTEGER` non-zero is true), or nil if it is not an `INTEGER`.
    public func bool(_ name: String) -> Bool? {
        int(name).map { $0 != 0 }
    }
}
