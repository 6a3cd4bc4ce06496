import FluxerJSON
import Testing

/// `JSONValue.parse`: document order kept, every RFC 8259 escape decoded, numbers typed, and only what
/// `StrictJSON` accepts (the OpenAPI document is read with it).
@Suite struct JSONValueParseTests {
    static func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func objects_keepMemberOrder() throws {
        let value = try Self.parse(#" { "z": 1, "a": [true, false, null], "m": {"y": "x", "b": {}} , "e": [] } "#)
        #expect(value.objectMembers.map(\.0) == ["z", "a", "m", "e"])
        #expect(value["m"]?.objectMembers.map(\.0) == ["y", "b"])
        #expect(value == .object([("z", 1), ("a", [true, false, .null]), ("m", .object([("y", "x"), ("b", .object([]))])), ("e", [])]))
        // Serialization is compact and in the same order, so a parse of it is the same value.
        #expect(try JSONValue.parse(value.bytes) == value)
    }

    @Test func strings_decodeEveryEscape() throws {
        #expect(try Self.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try Self.parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try Self.parse("\"é—😀\"") == .string("é—😀"))
    }

    @Test func numbers_areIntegersWhenTheyFit() throws {
        #expect(try Self.parse("[0, -7, 9223372036854775807, 9223372036854775808, 1.5, -2e3, 1E+2]") == .array([
            .int(0), .int(-7), .int(Int64.max), .double(9223372036854775808), .double(1.5), .double(-2000), .double(100),
        ]))
    }

    @Test func refusesWhatStrictJSONRefuses() {
        for bad in ["", "{", "[1,]", #"{"a":1,"a":2}"#, "01", "NaN", #""\ud800""#, "[1] 2", "{'a':1}"] {
            #expect(throws: StrictJSON.Violation.self, "\(bad)") { try Self.parse(bad) }
        }
    }

    @Test func depth_atLimitParses_andOneMoreIsRefused() throws {
        let limit = StrictJSON.maxDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        var value = try Self.parse(atLimit)
        var depth = 0
        while case .array(let items) = value { depth += 1; value = items.first ?? .null }
        #expect(depth == limit)
        let over = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(throws: StrictJSON.Violation.self) { try Self.parse(over) }
    }
}
