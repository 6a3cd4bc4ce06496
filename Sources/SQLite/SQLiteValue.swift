/// A single SQLite value, as bound to a parameter or read from a result column.
public enum SQLiteValue: Sendable, Equatable {
    /// SQL `NULL`.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// A 64-bit IEEE floating-point number.
    case real(Double)
    /// UTF-8 text (may contain NUL characters).
    case text(String)
    /// Raw bytes (may be empty or contain NUL bytes).
    case blob([UInt8])
}

/// A Swift value that can be bound to an SQL parameter.
public protocol SQLiteBindable {
    /// The SQLite representation of this value.
    var sqliteValue: SQLiteValue { get }
}

extension SQLiteValue: SQLiteBindable {
    /// The value itself.
    public var sqliteValue: SQLiteValue { self }
}

extension Int: SQLiteBindable {
    /// Binds as an `INTEGER`.
    public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
}

extension Int64: SQLiteBindable {
    /// Binds as an `INTEGER`.
    public var sqliteValue: SQLiteValue { .integer(self) }
}

extension Bool: SQLiteBindable {
    /// Binds as the `INTEGER` 1 (true) or 0 (false).
    public var sqliteValue: SQLiteValue { .integer(self ? 1 : 0) }
}

extension Double: SQLiteBindable {
    /// Binds as a `REAL`.
    public var sqliteValue: SQLiteValue { .real(self) }
}

extension String: SQLiteBindable {
    /// Binds as `TEXT`.
    public var sqliteValue: SQLiteValue { .text(self) }
}

extension Array: SQLiteBindable where Element == UInt8 {
    /// Binds as a `BLOB`.
    public var sqliteValue: SQLiteValue { .blob(self) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    /// Binds the wrapped value, or `NULL` for `nil`.
    public var sqliteValue: SQLiteValue { self?.sqliteValue ?? .null }
}

extension SQLiteValue {
    /// The text payload, if this is `.text`.
    var textValue: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}
