/// An ordered list of header fields with ASCII case-insensitive lookup (RFC 9110 §5.1).
///
/// The fields of a parsed request stay as bytes (`RawHeaderFields`: one allocation holding the field section and
/// where each name and value lies in it) until something asks for them: a lookup compares bytes and makes a
/// `String` of the one value it returns. Most requests are answered after reading two or three fields of the
/// eight or so a client sends, and making a validated `String` of every name and value cost more than the rest of
/// parsing. Fields added in code are kept as strings after the raw ones; changing or removing a field turns the
/// raw ones into strings first.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The received fields, not yet strings (nil once turned into `list`, or for headers built in code).
    private var rawFields: SharedRawFields?
    private var raw: RawHeaderFields? { rawFields?.fields }

    /// `ManagedBuffer` is never `Sendable`; these fields are immutable once built (`RawHeaderFields.make`), so
    /// sharing them between threads is safe.
    private struct SharedRawFields: @unchecked Sendable {
        let fields: RawHeaderFields
    }
    /// Fields added in code (after the raw ones, in order).
    private var list: [(name: String, value: String)] = []

    /// An empty header list.
    public init() {}

    /// Headers from literal pairs.
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// The parser's fields (already checked against RFC 9112 §5).
    init(raw: RawHeaderFields) {
        rawFields = SharedRawFields(fields: raw)
    }

    /// The fields in the order they were added.
    public var fields: [(name: String, value: String)] {
        guard let raw else { return list }
        return raw.strings() + list
    }

    /// Whether there is no field at all.
    public var isEmpty: Bool { (raw?.count ?? 0) == 0 && list.isEmpty }

    /// Appends a field. CR, LF and NUL are removed from both name and value so a reflected value can never
    /// inject a header or split a response (RFC 9112 §11.1).
    public mutating func add(_ name: String, _ value: String) {
        list.append((Self.sanitize(name), Self.sanitize(value)))
    }

    /// Replaces every field of that name with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Removes every field of that name.
    public mutating func remove(_ name: String) {
        materialize()
        list.removeAll { Self.equalsIgnoringASCIICase($0.name, name) }
    }

    /// The first value of the field, if present.
    public subscript(_ name: String) -> String? {
        if let raw, let index = raw.firstIndex(named: name) { return raw.value(at: index) }
        return list.first { Self.equalsIgnoringASCIICase($0.name, name) }?.value
    }

    /// Every value of the field.
    public func values(_ name: String) -> [String] {
        var values: [String] = []
        if let raw {
            for index in 0..<raw.count where raw.name(at: index, equals: name) { values.append(raw.value(at: index)) }
        }
        for field in list where Self.equalsIgnoringASCIICase(field.name, name) { values.append(field.value) }
        return values
    }

    /// Whether a field of that name is present.
    public func contains(_ name: String) -> Bool {
        if let raw, raw.firstIndex(named: name) != nil { return true }
        return list.contains { Self.equalsIgnoringASCIICase($0.name, name) }
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Turns the raw fields into strings, before a change that is not an append.
    private mutating func materialize() {
        guard let raw else { return }
        list = raw.strings() + list
        rawFields = nil
    }

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

/// A request's field section as received, in one allocation: a table of where each name and value lies
/// (`count` entries of four `UInt32`: name start, name end, value start, value end), then the bytes. Immutable
/// once built, so copies of a request share it.
final class RawHeaderFields: ManagedBuffer<RawHeaderFields.Layout, UInt32> {
    struct Layout {
        /// Fields in the table.
        var count: Int
        /// Bytes of the field section after the table.
        var byteCount: Int
    }

    /// Builds the table from `spans` (offsets into `section`) and a copy of `section`.
    static func make(section: UnsafeBufferPointer<UInt8>, spans: UnsafeBufferPointer<(UInt32, UInt32, UInt32, UInt32)>) -> RawHeaderFields {
        let words = spans.count * 4 + (section.count + 3) / 4
        let buffer = create(minimumCapacity: max(1, words)) { _ in Layout(count: spans.count, byteCount: section.count) }
        let fields = unsafeDowncast(buffer, to: RawHeaderFields.self)
        fields.withUnsafeMutablePointerToElements { table in
            for (i, span) in spans.enumerated() {
                table[i * 4] = span.0
                table[i * 4 + 1] = span.1
                table[i * 4 + 2] = span.2
                table[i * 4 + 3] = span.3
            }
            if let base = section.baseAddress, section.count > 0 {
                UnsafeMutableRawPointer(table + spans.count * 4).copyMemory(from: base, byteCount: section.count)
            }
        }
        return fields
    }

    var count: Int { header.count }

    /// Calls `body` with the bytes of field `index`'s name or value.
    private func withBytes<T>(_ index: Int, value: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        withUnsafeMutablePointerToElements { table in
            let bytes = UnsafeRawPointer(table + header.count * 4).assumingMemoryBound(to: UInt8.self)
            let start = Int(table[index * 4 + (value ? 2 : 0)]), end = Int(table[index * 4 + (value ? 3 : 1)])
            return body(UnsafeBufferPointer(start: bytes + start, count: end - start))
        }
    }

    /// Whether field `index`'s name is `name`, ASCII case-insensitively.
    func name(at index: Int, equals name: String) -> Bool {
        withBytes(index, value: false) { field in
            guard field.count == name.utf8.count else { return false }
            var name = name
            return name.withUTF8 { wanted in
                for i in 0..<wanted.count where HTTPHeaders.asciiLower(field[i]) != HTTPHeaders.asciiLower(wanted[i]) { return false }
                return true
            }
        }
    }

    /// The first field named `name`.
    func firstIndex(named name: String) -> Int? {
        for index in 0..<count where self.name(at: index, equals: name) { return index }
        return nil
    }

    /// Field `index`'s value as a string.
    func value(at index: Int) -> String {
        withBytes(index, value: true) { String(decoding: $0, as: UTF8.self) }
    }

    /// Every field as strings, in order.
    func strings() -> [(name: String, value: String)] {
        (0..<count).map { index in
            (withBytes(index, value: false) { String(decoding: $0, as: UTF8.self) }, value(at: index))
        }
    }
}
