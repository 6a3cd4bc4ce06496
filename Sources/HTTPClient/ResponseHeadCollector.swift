/// Collects the header fields of the final response from the lines libcurl hands its header callback: one call
/// per line, CRLF included, for every response in the exchange (1xx interim ones first, RFC 9110 §15.2), then the
/// blank line, then any trailer lines of a chunked body (RFC 9112 §7.1.2).
///
/// Pure and bounded: every byte of every line counts towards `maxBytes`, so interim responses and trailers
/// cannot grow without bound either, and the final head may hold at most `maxCount` fields.
struct ResponseHeadCollector {
    /// What the transfer should do after a line.
    enum Outcome: Equatable {
        case proceed
        case tooLarge
        case malformed
    }

    private enum State {
        /// Before the first status line, or after a 1xx head ended.
        case awaitingStatus
        /// Inside a head whose status line said `status`.
        case inHead(status: Int)
        /// After the final head: trailers, which are counted and dropped.
        case afterFinalHead
    }

    let maxBytes: Int
    let maxCount: Int
    /// The fields of the latest head, in order, names as received.
    private(set) var fields: [(name: String, value: String)] = []
    private(set) var byteCount = 0
    private var state = State.awaitingStatus

    init(maxBytes: Int, maxCount: Int) {
        self.maxBytes = maxBytes
        self.maxCount = maxCount
    }

    /// Whether the final (non-1xx) head has ended.
    var isComplete: Bool {
        if case .afterFinalHead = state { return true }
        return false
    }

    /// Takes one line as libcurl delivered it.
    mutating func consume(_ line: UnsafeRawBufferPointer) -> Outcome {
        byteCount += line.count
        guard byteCount <= maxBytes else { return .tooLarge }
        var content = line[...]
        if content.last == UInt8(ascii: "\n") { content = content.dropLast() }
        if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
        switch state {
        case .afterFinalHead:
            return .proceed
        case .awaitingStatus:
            guard let status = Self.statusCode(content) else { return .malformed }
            fields.removeAll(keepingCapacity: true)
            state = .inHead(status: status)
            return .proceed
        case .inHead(let status):
            if content.isEmpty {
                state = (100...199).contains(status) ? .awaitingStatus : .afterFinalHead
                return .proceed
            }
            return addField(content)
        }
    }

    /// `HTTP/1.x SP 3DIGIT …` (RFC 9112 §4); the code itself comes from libcurl too, this only frames heads.
    private static func statusCode(_ line: Slice<UnsafeRawBufferPointer>) -> Int? {
        let bytes = Array(line)
        guard bytes.starts(with: Array("HTTP/".utf8)), let space = bytes.firstIndex(of: UInt8(ascii: " ")),
              space + 4 <= bytes.count, space + 4 == bytes.count || bytes[space + 4] == UInt8(ascii: " ") else { return nil }
        let digits = bytes[(space + 1)..<(space + 4)]
        guard digits.allSatisfy(HTTPSyntax.isDigit) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// RFC 9112 §5: field-name ":" OWS field-value OWS. A line starting with whitespace is obs-fold, which a user
    /// agent replaces with a space (§5.2).
    private mutating func addField(_ line: Slice<UnsafeRawBufferPointer>) -> Outcome {
        if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
            guard !fields.isEmpty, let value = Self.fieldValue(line) else { return .malformed }
            let previous = fields[fields.count - 1].value
            fields[fields.count - 1].value = previous.isEmpty ? value : previous + " " + value
            return .proceed
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
              line[line.startIndex..<colon].allSatisfy(HTTPSyntax.isTokenCharacter),
              let value = Self.fieldValue(line[(colon + 1)...]) else { return .malformed }
        guard fields.count < maxCount else { return .tooLarge }
        fields.append((String(decoding: line[line.startIndex..<colon], as: UTF8.self), value))
        return .proceed
    }

    /// The value with surrounding whitespace removed; nil if it holds NUL, CR, LF or another control byte other
    /// than HTAB (RFC 9110 §5.5). obs-text (0x80–0xFF) is kept, decoded as UTF-8 with replacement.
    private static func fieldValue(_ bytes: Slice<UnsafeRawBufferPointer>) -> String? {
        guard bytes.allSatisfy(HTTPSyntax.isFieldValueByte) else { return nil }
        var trimmed = bytes[...]
        while let first = trimmed.first, first == 0x20 || first == 0x09 { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed = trimmed.dropLast() }
        return String(decoding: trimmed, as: UTF8.self)
    }
}
