@testable import HTTPServer
import Testing

/// The parser's header fields stay as bytes until asked for (`RawHeaderFields`); every way of reading or changing
/// them must behave exactly as a list of strings would.
@Suite struct HTTPHeadersRawTests {
    static func parsed(_ fieldLines: [String]) -> HTTPHeaders {
        var parser = RequestParser()
        parser.append(Array(("GET /x HTTP/1.1\r\n" + fieldLines.map { $0 + "\r\n" }.joined() + "\r\n").utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("not accepted")
            return HTTPHeaders()
        }
        return request.headers
    }

    static let lines = ["Host: example.test", "Authorization:   Bot abc.def  ", "X-Multi: one", "accept: */*",
                        "x-multi: two", "Empty:", "Long-Field-Name-Beyond-Fifteen: a value longer than fifteen bytes"]

    @Test func lookupsAreCaseInsensitiveAndTrimmed() {
        let h = Self.parsed(Self.lines)
        #expect(h["authorization"] == "Bot abc.def")
        #expect(h["AUTHORIZATION"] == "Bot abc.def")
        #expect(h["Host"] == "example.test")
        #expect(h["Accept"] == "*/*")
        #expect(h["Empty"] == "")
        #expect(h["Long-Field-Name-Beyond-Fifteen"] == "a value longer than fifteen bytes")
        #expect(h["Missing"] == nil)
        #expect(h["Hos"] == nil && h["Hostx"] == nil)
        #expect(h.contains("X-MULTI") && !h.contains("X-Mult"))
        #expect(h.values("X-Multi") == ["one", "two"])
        #expect(!h.isEmpty)
    }

    @Test func fieldsAndIterationKeepTheReceivedOrderAndSpelling() {
        let h = Self.parsed(Self.lines)
        let expected: [(String, String)] = [("Host", "example.test"), ("Authorization", "Bot abc.def"), ("X-Multi", "one"),
                                            ("accept", "*/*"), ("x-multi", "two"), ("Empty", ""),
                                            ("Long-Field-Name-Beyond-Fifteen", "a value longer than fifteen bytes")]
        #expect(h.fields.map { "\($0.name)=\($0.value)" } == expected.map { "\($0.0)=\($0.1)" })
        #expect(Array(h).map(\.name) == expected.map(\.0))
    }

    @Test func addingKeepsTheReceivedFieldsFirst() {
        var h = Self.parsed(["Host: a", "X-One: 1"])
        h.add("X-Two", "2")
        #expect(h.fields.map(\.name) == ["Host", "X-One", "X-Two"])
        #expect(h["x-two"] == "2" && h["x-one"] == "1")
        #expect(h.values("X-One") == ["1"])
    }

    @Test func setAndRemoveWorkOnReceivedFields() {
        var h = Self.parsed(["Host: a", "X-Dup: 1", "Other: o", "x-dup: 2"])
        h.set("X-Dup", "3")
        #expect(h.values("X-Dup") == ["3"])
        #expect(h.fields.map(\.name) == ["Host", "Other", "X-Dup"])
        h.remove("host")
        #expect(h["Host"] == nil && h["Other"] == "o")
        h.remove("Other")
        h.remove("X-Dup")
        #expect(h.isEmpty && h.fields.isEmpty)
    }

    @Test func copiesAreIndependent() {
        let original = Self.parsed(["Host: a", "X-One: 1"])
        var copy = original
        copy.remove("X-One")
        copy.add("X-Two", "2")
        #expect(original.fields.map(\.name) == ["Host", "X-One"])
        #expect(copy.fields.map(\.name) == ["Host", "X-Two"])
    }

    @Test func onlyTheHostField() {
        let h = Self.parsed(["Host: a"])
        #expect(h.fields.count == 1 && h["host"] == "a" && !h.isEmpty)
    }
}
