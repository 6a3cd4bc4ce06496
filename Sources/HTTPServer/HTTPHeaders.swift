/// An ordered list of header fields with ASCII case-insensitive lookup (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields in the order they were added.
    public private(set) var fields: [(name: String, value: String)] = []

    /// An empty header list.
    public init() {}

    /// Headers from literal pairs.
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// Appends a field. CR, LF and NUL are removed from both name and value so a reflected value can never
    /// inject a header or split a response (RFC 9112 §11.1).
    public mutating func add(_ name: String, _ value: String) {
        fields.append((Self.sanitize(name), Self.sanitize(value)))
    }

    /// Makes room for `count` fields, so that appending them allocates once.
    mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Appends a field the parser has already checked (RFC 9112 §5: no CR, LF, NUL or CTL can reach here).
    mutating func appendValidated(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field of that name with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Removes every field of that name.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.equalsIgnoringASCIICase($0.name, name) }
    }

    /// The first value of the field, if present.
    public subscript(_ name: String) -> String? {
        fields.first { Self.equalsIgnoringASCIICase($0.name, name) }?.value
    }

    /// Every value of the field.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.equalsIgnoringASCIICase($0.name, name) }.map(\.value)
    }

    /// Whether a field of that name is present.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Case-insensitive comparison over ASCII letters only; never Unicode case folding (KELVIN SIGN, LONG S).
    public static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        // Header lookups run several times per request: compare lengths first (O(1) for native strings), then
        // the contiguous bytes.
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<x.count where asciiLower(x[i]) != asciiLower(y[i]) { return false }
                return true
            }
        }
    }

    @inline(__always) static func asciiLower(_ b: UInt8) -> UInt8 {
        b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    }

    static func sanitize(_ s: String) -> String {
        var s = s
        let clean = s.withUTF8 { bytes in !bytes.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }
        guard !clean else { return s }
        return String(decoding: s.utf8.filter { $0 != 0x0D && $0 != 0x0A && $0 != 0 }, as: UTF8.self)
    }
}
