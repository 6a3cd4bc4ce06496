/// One PostgreSQL value, as bound to a parameter or read from a result column.
public enum PostgresValue: Sendable, Equatable {
    /// SQL `NULL`.
    case null
    /// An integer (`int2`, `int4`, `int8`, `oid` columns; bound as `int8`).
    case integer(Int64)
    /// A floating-point number (`float4`, `float8` columns; bound as `float8`).
    case double(Double)
    /// A boolean (`bool`).
    case bool(Bool)
    /// Text. Bound as an untyped literal, so the server converts it to the type the context needs (`uuid`,
    /// `timestamptz`, `jsonb` …); other column types (`numeric`, `timestamptz` …) read back as their text form.
    /// PostgreSQL text cannot hold NUL, so binding one is refused.
    case text(String)
    /// Bytes (`bytea`), any content including zero bytes.
    case bytes([UInt8])
}

/// A Swift value that can be bound to an SQL parameter (`$1`, `$2` …).
public protocol PostgresBindable {
    /// The PostgreSQL representation of this value.
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresBindable {
    /// The value itself.
    public var postgresValue: PostgresValue { self }
}

extension Int: PostgresBindable {
    /// Binds as `int8`.
    public var postgresValue: PostgresValue { .integer(Int64(self)) }
}

extension Int64: PostgresBindable {
    /// Binds as `int8`.
    public var postgresValue: PostgresValue { .integer(self) }
}

extension Int32: PostgresBindable {
    /// Binds as `int8`.
    public var postgresValue: PostgresValue { .integer(Int64(self)) }
}

extension Bool: PostgresBindable {
    /// Binds as `bool`.
    public var postgresValue: PostgresValue { .bool(self) }
}

extension Double: PostgresBindable {
    /// Binds as `float8`.
    public var postgresValue: PostgresValue { .double(self) }
}

extension String: PostgresBindable {
    /// Binds as an untyped text literal.
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresBindable {
    /// Binds as an untyped text literal.
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Array: PostgresBindable where Element == UInt8 {
    /// Binds as `bytea`.
    public var postgresValue: PostgresValue { .bytes(self) }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    /// Binds the wrapped value, or `NULL` for `nil`.
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
