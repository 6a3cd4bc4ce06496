import Postgres
import SQLite

/// One SQL value, as the stores bind it and read it back, whichever backend runs the statement.
///
/// Booleans keep their own case: SQLite stores them as the integers 0 and 1, PostgreSQL as `boolean`; a store
/// binds a `Bool` and reads `row.bool(…)`, and each backend gets its own representation.
public enum SQLValue: Sendable, Equatable {
    /// SQL `NULL`.
    case null
    /// A 64-bit signed integer (snowflakes are stored as their `Int64` bit pattern).
    case integer(Int64)
    /// A floating-point number.
    case double(Double)
    /// A boolean.
    case bool(Bool)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob([UInt8])
}

/// A Swift value a store can bind to a `?` parameter.
public protocol SQLBindable {
    /// The backend-neutral representation of this value.
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int32: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .bool(self) }
}

extension Double: SQLBindable {
    public var sqlValue: SQLValue { .double(self) }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Substring: SQLBindable {
    public var sqlValue: SQLValue { .text(String(self)) }
}

extension Array: SQLBindable where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension SQLValue {
    /// The value as SQLite binds it (booleans as 0/1).
    var sqlite: SQLiteValue {
        switch self {
        case .null: .null
        case .integer(let value): .integer(value)
        case .double(let value): .real(value)
        case .bool(let value): .integer(value ? 1 : 0)
        case .text(let value): .text(value)
        case .blob(let value): .blob(value)
        }
    }

    /// The value as PostgreSQL binds it.
    var postgres: PostgresValue {
        switch self {
        case .null: .null
        case .integer(let value): .integer(value)
        case .double(let value): .double(value)
        case .bool(let value): .bool(value)
        case .text(let value): .text(value)
        case .blob(let value): .bytes(value)
        }
    }

    init(_ value: SQLiteValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .real(let v): self = .double(v)
        case .text(let v): self = .text(v)
        case .blob(let v): self = .blob(v)
        }
    }

    init(_ value: PostgresValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .double(let v): self = .double(v)
        case .bool(let v): self = .bool(v)
        case .text(let v): self = .text(v)
        case .bytes(let v): self = .blob(v)
        }
    }
}

extension SQLValue: SQLiteBindable {
    public var sqliteValue: SQLiteValue { sqlite }
}

extension SQLValue: PostgresBindable {
    public var postgresValue: PostgresValue { postgres }
}
