import FluxerDomain
import SQLite

/// A target column's type, as `information_schema.columns.data_type` names it, and how a SQLite value becomes
/// one (migrations/postgres/README.md "Types"). Anything else is refused: the copy converts only what the
/// PostgreSQL schema uses.
///
/// Values travel to PostgreSQL inside one JSON array per batch (`CopyBatch`); `encode` writes a value as the
/// JSON element that `selectExpression` turns into the column's type on the server.
package enum CopyColumnKind: String, Sendable, Equatable {
    case bigint
    case integer
    case smallint
    case boolean
    case bytea
    case text

    /// The kind for a `data_type`, or nil for a type the copy does not convert to.
    package init?(dataType: String) {
        switch dataType {
        case "bigint": self = .bigint
        case "integer": self = .integer
        case "smallint": self = .smallint
        case "boolean": self = .boolean
        case "bytea": self = .bytea
        case "text": self = .text
        default: return nil
        }
    }

    /// SQL reading element `index` of the JSON row `row` as this type. JSON numbers keep every digit in `jsonb`
    /// (numeric), so snowflakes past 2^53 arrive exact.
    package func selectExpression(row: String, index: Int) -> String {
        switch self {
        case .bigint, .integer, .smallint, .boolean: "(\(row) ->> \(index))::\(rawValue)"
        case .bytea: "decode(\(row) ->> \(index), 'hex')"
        case .text: "\(row) ->> \(index)"
        }
    }

    /// Appends `value` as a JSON element, or says why it does not belong in this column. Integers are stored as
    /// SQLite wrote them: snowflakes are UInt64 bit patterns in an Int64, which BIGINT keeps unchanged.
    package func encode(_ value: SQLiteValue, into json: inout [UInt8]) throws(CopyValueRefusal) {
        switch (self, value) {
        case (_, .null):
            json.append(contentsOf: "null".utf8)
        case (.bigint, .integer(let n)):
            json.append(contentsOf: String(n).utf8)
        case (.integer, .integer(let n)):
            guard Int32(exactly: n) != nil else { throw .outOfRange(self) }
            json.append(contentsOf: String(n).utf8)
        case (.smallint, .integer(let n)):
            guard Int16(exactly: n) != nil else { throw .outOfRange(self) }
            json.append(contentsOf: String(n).utf8)
        case (.boolean, .integer(let n)):
            // SQLite keeps a Swift Bool as 0/1; anything else is not a flag the server wrote.
            guard n == 0 || n == 1 else { throw .notABoolean }
            json.append(contentsOf: (n == 1 ? "true" : "false").utf8)
        case (.bytea, .blob(let bytes)):
            Self.appendHex(bytes, to: &json)
        case (.text, .text(let text)):
            try Self.appendString(text, to: &json)
        default:
            throw .wrongStorageClass(found: CopyValueRefusal.storageClass(value), expected: self)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHex(_ bytes: [UInt8], to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in bytes {
            json.append(hexDigits[Int(byte >> 4)])
            json.append(hexDigits[Int(byte & 0x0F)])
        }
        json.append(UInt8(ascii: "\""))
    }

    /// A JSON string (RFC 8259 §7): quote, backslash and control characters escaped, everything else as UTF-8.
    private static func appendString(_ text: String, to json: inout [UInt8]) throws(CopyValueRefusal) {
        json.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case 0:
                // PostgreSQL text cannot hold NUL (and jsonb refuses \u0000).
                throw .textWithNUL
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                json.append(UInt8(ascii: "\\"))
                json.append(byte)
            case 0x01..<0x20:
                json.append(contentsOf: "\\u00".utf8)
                json.append(hexDigits[Int(byte >> 4)])
                json.append(hexDigits[Int(byte & 0x0F)])
            default:
                json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}

/// Why a stored value cannot go into its target column. Names the storage class, never the value.
package enum CopyValueRefusal: Error, Equatable, CustomStringConvertible {
    /// `found` is the storage class ("text", "a blob" …), never the value.
    case wrongStorageClass(found: String, expected: CopyColumnKind)
    case notABoolean
    case outOfRange(CopyColumnKind)
    case textWithNUL

    package var description: String {
        switch self {
        case .wrongStorageClass(let found, let expected):
            "a row holds \(found) where PostgreSQL wants \(expected.rawValue)"
        case .notABoolean:
            "a row holds an integer other than 0 or 1 where PostgreSQL wants boolean"
        case .outOfRange(let kind):
            "a row holds an integer out of \(kind.rawValue)'s range"
        case .textWithNUL:
            "a row holds text containing NUL, which PostgreSQL text cannot store"
        }
    }

    package static func storageClass(_ value: SQLiteValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a floating-point number"
        case .text: "text"
        case .blob: "a blob"
        }
    }
}
