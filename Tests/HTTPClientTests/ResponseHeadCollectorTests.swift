@testable import HTTPClient
import Testing

/// The pure collector behind the header callback: framing of heads, field syntax, limits.
@Suite struct ResponseHeadCollectorTests {
    /// Feeds `lines` (each given without CRLF) and returns the collector and the first non-proceed outcome.
    private func feed(_ lines: [String], maxBytes: Int = 64 << 10, maxCount: Int = 100)
        -> (ResponseHeadCollector, ResponseHeadCollector.Outcome) {
        var collector = ResponseHeadCollector(maxBytes: maxBytes, maxCount: maxCount)
        for line in lines {
            let outcome = Array((line + "\r\n").utf8).withUnsafeBytes { collector.consume($0) }
            if outcome != .proceed { return (collector, outcome) }
        }
        return (collector, .proceed)
    }

    @Test func fields_collectedInOrder_owsTrimmed() {
        let (collector, outcome) = feed(["HTTP/1.1 200 OK", "Content-Type:  text/plain \t", "X-A:b", "x-a: c", ""])
        #expect(outcome == .proceed)
        #expect(collector.isComplete)
        #expect(collector.fields.map(\.name) == ["Content-Type", "X-A", "x-a"])
        #expect(collector.fields.map(\.value) == ["text/plain", "b", "c"])
    }

    /// RFC 9110 §15.2: interim 1xx heads come first; only the final head's fields are kept.
    @Test func interimResponses_replacedByFinalHead() {
        let (collector, _) = feed(["HTTP/1.1 100 Continue", "", "HTTP/1.1 103 Early Hints", "Link: </a>; rel=preload", "",
                                   "HTTP/1.1 201 Created", "Location: /x", ""])
        #expect(collector.isComplete)
        #expect(collector.fields.map(\.name) == ["Location"])
    }

    /// RFC 9112 §7.1.2: trailer lines after the final head are counted, not collected.
    @Test func trailers_ignoredButCounted() {
        let (collector, outcome) = feed(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "", "X-Checksum: abc", ""],
                                        maxBytes: 200)
        #expect(outcome == .proceed)
        #expect(collector.fields.map(\.name) == ["Transfer-Encoding"])
        #expect(collector.byteCount == 17 + 28 + 2 + 17 + 2)
    }

    /// RFC 9112 §5.2: a user agent replaces obs-fold with SP.
    @Test func obsFold_unfolded() {
        let (collector, outcome) = feed(["HTTP/1.1 200 OK", "X-Long: a", " b", "\tc", ""])
        #expect(outcome == .proceed)
        #expect(collector.fields.first?.value == "a b c")
    }

    @Test(arguments: [
        ["X-Before-Status: 1"],
        ["HTTP/1.1 200 OK", "X-Space : v"],
        ["HTTP/1.1 200 OK", "No colon here"],
        ["HTTP/1.1 200 OK", ": empty name"],
        ["HTTP/1.1 200 OK", "X-Nul: a\u{0}b"],
        ["HTTP/1.1 200 OK", "X-Del: a\u{7F}"],
        ["HTTP/1.1 200 OK", " folded-first: x"],
        ["HTTP/1.1 2x0 OK"],
        ["HTTP/1.1 2000 OK"],
        ["ICY 200 OK"],
    ])
    func malformed(lines: [String]) {
        #expect(feed(lines).1 == .malformed)
    }

    /// maxBytes counts every byte of every line, CRLF included: at the limit, then one over.
    @Test func bytes_atLimitAndOver() {
        let lines = ["HTTP/1.1 200 OK", "X-Pad: " + String(repeating: "p", count: 100), ""]
        let total = lines.reduce(0) { $0 + $1.utf8.count + 2 }
        #expect(feed(lines, maxBytes: total).1 == .proceed)
        #expect(feed(lines, maxBytes: total - 1).1 == .tooLarge)
    }

    /// maxCount fields in the final head: at the limit, then one over.
    @Test func count_atLimitAndOver() {
        let fields = (0..<10).map { "X-\($0): v" }
        #expect(feed(["HTTP/1.1 200 OK"] + fields + [""], maxCount: 10).1 == .proceed)
        #expect(feed(["HTTP/1.1 200 OK"] + fields + ["X-10: v", ""], maxCount: 10).1 == .tooLarge)
        // The count starts again with each head; the byte budget does not.
        let interim = ["HTTP/1.1 103 Early Hints"] + fields + [""]
        #expect(feed(interim + ["HTTP/1.1 200 OK"] + fields + [""], maxCount: 10).1 == .proceed)
    }
}
