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
        var ia = a.utf8.makeIterator()
        var ib = b.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return true
            case let (x?, y?): if asciiLower(x) != asciiLower(y) { return false }
            default: return false
            }
        }
    }

    @inline(__always) static func asciiLower(_ b: UInt8) -> UInt8 {
        b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    }

    static func sanitize(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return s }
        return String(decoding: s.utf8.filter { $0 != 0x0D && $0 != 0x0A && $0 != 0 }, as: UTF8.self)
    }
}
