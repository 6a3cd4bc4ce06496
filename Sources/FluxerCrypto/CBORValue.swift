/// One decoded CBOR data item (RFC 8949 §3).
///
/// Maps keep their encoded order, so a value can be re-encoded byte for byte and compared
/// deterministically. Only definite-length items exist here: the decoder refuses the
/// indefinite-length forms (§3.2.2), which WebAuthn never uses.
public indirect enum CBORValue: Equatable, Sendable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the negative integer `-1 - n` (so `.negative(0)` is -1).
    case negative(UInt64)
    /// Major type 2: a byte string.
    case bytes([UInt8])
    /// Major type 3: a UTF-8 text string (validated on decode).
    case text(String)
    /// Major type 4: an array.
    case array([CBORValue])
    /// Major type 5: a map, in encoded order, without duplicate keys.
    case map([(CBORValue, CBORValue)])
    /// Major type 6: a tagged item (§3.4); the tag number is not interpreted.
    case tagged(UInt64, CBORValue)
    /// Simple values 20 and 21.
    case bool(Bool)
    /// Simple value 22.
    case null
    /// Simple value 23.
    case undefined
    /// A half-, single- or double-precision float (§3.3), widened to `Double`.
    case float(Double)

    /// Structural equality; maps compare in order, floats by bit pattern.
    public static func == (lhs: CBORValue, rhs: CBORValue) -> Bool {
        switch (lhs, rhs) {
        case let (.unsigned(a), .unsigned(b)): a == b
        case let (.negative(a), .negative(b)): a == b
        case let (.bytes(a), .bytes(b)): a == b
        case let (.text(a), .text(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.map(a), .map(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.tagged(ta, a), .tagged(tb, b)): ta == tb && a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null), (.undefined, .undefined): true
        // Bit patterns, so that NaN equals itself and a duplicate NaN map key is detected.
        case let (.float(a), .float(b)): a.bitPattern == b.bitPattern
        default: false
        }
    }
}

extension CBORValue {
    /// An integer item as `Int`, or nil if it is not an integer or does not fit.
    public var int: Int? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default: nil
        }
    }

    /// The content of a byte string, or nil.
    public var bytes: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    /// The content of a text string, or nil.
    public var text: String? {
        if case .text(let t) = self { return t }
        return nil
    }

    /// The elements of an array, or nil.
    public var array: [CBORValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The entries of a map, or nil.
    public var map: [(CBORValue, CBORValue)]? {
        if case .map(let m) = self { return m }
        return nil
    }

    /// The value stored under the integer key `key` in a map (COSE labels), or nil.
    public subscript(key: Int) -> CBORValue? {
        map?.first { $0.0.int == key }?.1
    }

    /// The value stored under the text key `key` in a map, or nil.
    public subscript(key: String) -> CBORValue? {
        map?.first { $0.0.text == key }?.1
    }

    /// Builds the CBOR integer for `value`.
    public static func int(_ value: Int) -> CBORValue {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }
}
