/// A small CBOR encoder (RFC 8949) for building COSE keys and authenticator data in tests and tools.
///
/// Heads use the shortest form (§4.2.1) and maps keep the order given, so callers that list
/// COSE labels in canonical order (1, 3, -1, -2, -3) get the bytes authenticators emit.
/// Floats are always written as doubles.
public enum CBOREncoder {
    /// The encoding of `value`.
    public static func encode(_ value: CBORValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    private static func append(_ value: CBORValue, to out: inout [UInt8]) {
        switch value {
        case .unsigned(let n): head(0, n, &out)
        case .negative(let n): head(1, n, &out)
        case .bytes(let b):
            head(2, UInt64(b.count), &out)
            out += b
        case .text(let t):
            head(3, UInt64(t.utf8.count), &out)
            out += t.utf8
        case .array(let items):
            head(4, UInt64(items.count), &out)
            for item in items { append(item, to: &out) }
        case .map(let entries):
            head(5, UInt64(entries.count), &out)
            for (key, item) in entries {
                append(key, to: &out)
                append(item, to: &out)
            }
        case .tagged(let tag, let item):
            head(6, tag, &out)
            append(item, to: &out)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .undefined: out.append(0xF7)
        case .float(let d):
            out.append(0xFB)
            bigEndian(d.bitPattern, count: 8, &out)
        }
    }

    /// The initial byte and argument of an item (§3).
    static func head(_ major: UInt8, _ argument: UInt64, _ out: inout [UInt8]) {
        switch argument {
        case 0..<24: out.append(major << 5 | UInt8(argument))
        case 24...0xFF: out.append(major << 5 | 24); bigEndian(argument, count: 1, &out)
        case 0x100...0xFFFF: out.append(major << 5 | 25); bigEndian(argument, count: 2, &out)
        case 0x1_0000...0xFFFF_FFFF: out.append(major << 5 | 26); bigEndian(argument, count: 4, &out)
        default: out.append(major << 5 | 27); bigEndian(argument, count: 8, &out)
        }
    }

    private static func bigEndian(_ value: UInt64, count: Int, _ out: inout [UInt8]) {
        for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
