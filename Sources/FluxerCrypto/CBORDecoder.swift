/// Why a byte sequence is not an acceptable CBOR item.
public enum CBORError: Error, Equatable, Sendable {
    /// The input ended inside an item (RFC 8949 §3: not well-formed).
    case truncated
    /// The whole input is longer than `CBORDecoder.maxBytes`.
    case inputTooLarge
    /// Additional information 28–30 (reserved, §3), or 31 on a major type with no indefinite form.
    case reservedAdditionalInfo(UInt8)
    /// An indefinite-length string, array or map (§3.2.2); refused by policy.
    case indefiniteLength
    /// A "break" stop code (0xff) outside an indefinite-length item (§3.2.1).
    case unexpectedBreak
    /// A simple value other than false/true/null/undefined, or a two-byte simple value below 32 (§3.3).
    case unsupportedSimpleValue(UInt8)
    /// A declared length or element count that the remaining input cannot hold.
    case lengthExceedsInput
    /// A byte or text string longer than `CBORDecoder.maxStringBytes`.
    case stringTooLong
    /// An array or map with more than `CBORDecoder.maxItems` elements (entries for a map).
    case tooManyItems
    /// Containers (arrays, maps, tags) nested deeper than `CBORDecoder.maxDepth`.
    case depthExceeded
    /// A text string that is not valid UTF-8 (§3.1 major type 3).
    case invalidUTF8
    /// A map with two equal keys (§5.6: not valid).
    case duplicateMapKey
    /// Bytes left after the top-level item, when trailing input is not allowed.
    case trailingBytes
}

/// A strict, bounded decoder for the deterministic CBOR that WebAuthn authenticators produce (RFC 8949).
///
/// Pure: no allocation is sized by a declared length until the input is known to contain it, so
/// a 9-byte header claiming 2^63 bytes fails in constant memory. Non-shortest integer heads are
/// accepted (§4.2.1 is a SHOULD for encoders; being lenient costs nothing here).
public struct CBORDecoder {
    /// Maximum nesting of arrays, maps and tags; a scalar at the top level has depth 0.
    public static let maxDepth = 16
    /// Maximum elements in one array, or entries in one map.
    public static let maxItems = 1024
    /// Maximum size of the whole input.
    public static let maxBytes = 64 * 1024
    /// Maximum size of one byte or text string.
    public static let maxStringBytes = 16 * 1024

    private let input: [UInt8]
    private var offset = 0

    private init(_ input: [UInt8]) { self.input = input }

    /// Decodes the first CBOR item of `bytes`.
    ///
    /// - Parameter allowTrailing: when false, bytes after the first item are an error; when true,
    ///   `consumed` tells where the item ended (WebAuthn authenticator data puts extensions after the key).
    public static func decode(_ bytes: [UInt8], allowTrailing: Bool = false) throws(CBORError) -> (value: CBORValue, consumed: Int) {
        guard bytes.count <= maxBytes else { throw .inputTooLarge }
        var decoder = CBORDecoder(bytes)
        let value = try decoder.item(depth: 0)
        if !allowTrailing && decoder.offset != bytes.count { throw .trailingBytes }
        return (value, decoder.offset)
    }

    private var remaining: Int { input.count - offset }

    private mutating func byte() throws(CBORError) -> UInt8 {
        guard offset < input.count else { throw .truncated }
        defer { offset += 1 }
        return input[offset]
    }

    private mutating func take(_ count: Int) throws(CBORError) -> ArraySlice<UInt8> {
        guard count <= remaining else { throw .truncated }
        defer { offset += count }
        return input[offset..<offset + count]
    }

    private mutating func bigEndian(_ count: Int) throws(CBORError) -> UInt64 {
        try take(count).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The argument of a head (§3): the value itself for ints, the length for strings and containers.
    private mutating func argument(_ info: UInt8) throws(CBORError) -> UInt64 {
        switch info {
        case 0...23: UInt64(info)
        case 24: try bigEndian(1)
        case 25: try bigEndian(2)
        case 26: try bigEndian(4)
        case 27: try bigEndian(8)
        default: throw .reservedAdditionalInfo(info)
        }
    }

    private mutating func item(depth: Int) throws(CBORError) -> CBORValue {
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 0x1F
        if info == 31 {
            switch major {
            case 2, 3, 4, 5: throw .indefiniteLength
            case 7: throw .unexpectedBreak
            default: throw .reservedAdditionalInfo(info)
            }
        }
        if major == 7 { return try simpleOrFloat(info) }
        let argument = try argument(info)
        switch major {
        case 0: return .unsigned(argument)
        case 1: return .negative(argument)
        case 2: return .bytes(Array(try string(length: argument)))
        case 3:
            let utf8 = try string(length: argument)
            guard let text = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8 }
            return .text(text)
        case 4:
            let count = try containerCount(argument, bytesPerItem: 1, depth: depth)
            var elements: [CBORValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try item(depth: depth + 1)) }
            return .array(elements)
        case 5:
            let count = try containerCount(argument, bytesPerItem: 2, depth: depth)
            var entries: [(CBORValue, CBORValue)] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let key = try item(depth: depth + 1)
                // Quadratic, but bounded by maxItems; keys are compared structurally (§5.6).
                if entries.contains(where: { $0.0 == key }) { throw .duplicateMapKey }
                entries.append((key, try item(depth: depth + 1)))
            }
            return .map(entries)
        default: // 6
            guard depth < Self.maxDepth else { throw .depthExceeded }
            return .tagged(argument, try item(depth: depth + 1))
        }
    }

    private mutating func string(length: UInt64) throws(CBORError) -> ArraySlice<UInt8> {
        guard length <= UInt64(remaining) else { throw .lengthExceedsInput }
        guard length <= UInt64(Self.maxStringBytes) else { throw .stringTooLong }
        return try take(Int(length))
    }

    /// Validates a declared element count before anything is reserved: every element needs at
    /// least one byte (two per map entry), so a count the input cannot hold is refused up front.
    private func containerCount(_ declared: UInt64, bytesPerItem: UInt64, depth: Int) throws(CBORError) -> Int {
        guard depth < Self.maxDepth else { throw .depthExceeded }
        guard declared <= UInt64(Self.maxItems) else { throw .tooManyItems }
        guard declared * bytesPerItem <= UInt64(remaining) else { throw .lengthExceedsInput }
        return Int(declared)
    }

    /// Major type 7 (§3.3).
    private mutating func simpleOrFloat(_ info: UInt8) throws(CBORError) -> CBORValue {
        switch info {
        case 20: return .bool(false)
        case 21: return .bool(true)
        case 22: return .null
        case 23: return .undefined
        case 24: throw .unsupportedSimpleValue(try byte())
        case 25: return .float(Self.half(UInt16(try bigEndian(2))))
        case 26: return .float(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
        case 27: return .float(Double(bitPattern: try bigEndian(8)))
        case 28...30: throw .reservedAdditionalInfo(info)
        default: throw .unsupportedSimpleValue(info)
        }
    }

    /// IEEE 754 binary16 to Double (RFC 8949 Appendix D).
    static func half(_ bits: UInt16) -> Double {
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = Double(bits & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = mantissa * 0x1p-24
        case 31: magnitude = mantissa == 0 ? .infinity : .nan
        default: magnitude = (mantissa + 1024) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
        return bits & 0x8000 != 0 ? -magnitude : magnitude
    }
}
