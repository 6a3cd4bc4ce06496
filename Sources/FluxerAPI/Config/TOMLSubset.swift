import FluxerDomain

/// A value in the configuration file.
public enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case array([ConfigValue])
}

/// Where a configuration file is wrong: line number and a fixed description.
public struct TOMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line.
    public let line: Int
    /// What is wrong.
    public let message: String
    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}

/// The subset of TOML the config file uses: comments, `[table]` headers, `key = value` with basic strings,
/// integers, booleans and (possibly multi-line) arrays of those. Keys come back dotted: `server.port`.
/// Anything outside the subset is a syntax error, never silently ignored.
public enum TOMLSubset {
    /// Parses `text` into dotted keys. Duplicate keys are errors (TOML v1.0 §Keys).
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        var table = ""
        var pending = ""
        var pendingLine = 0
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = stripComment(String(rawLine)).trimmingASCIIWhitespace()
            if !pending.isEmpty {
                pending += " " + line
                if bracketsBalanced(pending) {
                    try assign(pending, table: table, line: pendingLine, into: &result)
                    pending = ""
                }
                continue
            }
            if line.isEmpty { continue }
            if line.hasPrefix("[[") {
                throw TOMLSyntaxError(line: lineNumber, message: "arrays of tables are not supported")
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw TOMLSyntaxError(line: lineNumber, message: "unterminated table header") }
                let name = String(line.dropFirst().dropLast()).trimmingASCIIWhitespace()
                guard !name.isEmpty, name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isBareKey) else {
                    throw TOMLSyntaxError(line: lineNumber, message: "invalid table name")
                }
                table = name
                continue
            }
            if bracketsBalanced(line) {
                try assign(line, table: table, line: lineNumber, into: &result)
            } else {
                pending = line
                pendingLine = lineNumber
            }
        }
        if !pending.isEmpty { throw TOMLSyntaxError(line: pendingLine, message: "unterminated array") }
        return result
    }

    /// Parses a single value as it would appear after `=`; used for environment variables too.
    public static func parseValue(_ text: String, line: Int = 0) throws(TOMLSyntaxError) -> ConfigValue {
        var scanner = Scanner(Array(text.utf8), line: line)
        let value = try scanner.value()
        scanner.skipSpaces()
        guard scanner.atEnd else { throw TOMLSyntaxError(line: line, message: "unexpected text after value") }
        return value
    }

    private static func assign(_ line: String, table: String, line number: Int, into result: inout [String: ConfigValue]) throws(TOMLSyntaxError) {
        guard let eq = line.firstIndex(of: "=") else { throw TOMLSyntaxError(line: number, message: "expected key = value") }
        let key = String(line[..<eq]).trimmingASCIIWhitespace()
        guard !key.isEmpty, key.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isBareKey) else {
            throw TOMLSyntaxError(line: number, message: "invalid key")
        }
        let full = table.isEmpty ? key : table + "." + key
        guard result[full] == nil else { throw TOMLSyntaxError(line: number, message: "duplicate key \(full)") }
        result[full] = try parseValue(String(line[line.index(after: eq)...]), line: number)
    }

    private static func isBareKey(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
        }
    }

    /// Removes a `#` comment that is not inside a string.
    private static func stripComment(_ line: String) -> String {
        var inString = false
        var escaped = false
        for (offset, b) in line.utf8.enumerated() {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "#") {
                return String(decoding: line.utf8.prefix(offset), as: UTF8.self)
            }
        }
        return line
    }

    private static func bracketsBalanced(_ s: String) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for b in s.utf8 {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "[") {
                depth += 1
            } else if b == UInt8(ascii: "]") {
                depth -= 1
            }
        }
        return depth <= 0
    }

    private struct Scanner {
        package let bytes: [UInt8]
        package var i = 0
        package let line: Int

        package init(_ bytes: [UInt8], line: Int) {
            self.bytes = bytes
            self.line = line
        }

        package var atEnd: Bool { i >= bytes.count }

        package mutating func skipSpaces() {
            while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        }

        package func fail(_ message: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, message: message) }

        package mutating func value() throws(TOMLSyntaxError) -> ConfigValue {
            skipSpaces()
            guard i < bytes.count else { throw fail("missing value") }
            switch bytes[i] {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["): return .array(try array())
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                let word = bareWord()
                if word == "true" { return .bool(true) }
                if word == "false" { return .bool(false) }
                throw fail("invalid value")
            default:
                let word = bareWord()
                var digits = Substring(word)
                var negative = false
                if digits.first == "-" || digits.first == "+" { negative = digits.first == "-"; digits = digits.dropFirst() }
                let clean = digits.replacingUnderscores()
                guard !clean.isEmpty, clean.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), clean.utf8.count <= 18,
                      !(clean.utf8.count > 1 && clean.hasPrefix("0")), !digits.hasPrefix("_"), !digits.hasSuffix("_"),
                      let magnitude = Int64(clean)
                else { throw fail("invalid value") }
                return .integer(negative ? -magnitude : magnitude)
            }
        }

        package mutating func bareWord() -> String {
            let start = i
            while i < bytes.count, bytes[i] != 0x20, bytes[i] != 0x09, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "]") { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        package mutating func array() throws(TOMLSyntaxError) -> [ConfigValue] {
            i += 1
            var items: [ConfigValue] = []
            while true {
                skipSpaces()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return items }
                items.append(try value())
                skipSpaces()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != UInt8(ascii: "]") { throw fail("expected , or ] in array") }
            }
        }

        package mutating func string() throws(TOMLSyntaxError) -> String {
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i < bytes.count else { throw fail("unterminated string") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    default: throw fail("unsupported escape in string")
                    }
                default:
                    if b < 0x20 && b != 0x09 { throw fail("control character in string") }
                    out.append(b)
                }
            }
            throw fail("unterminated string")
        }
    }
}
