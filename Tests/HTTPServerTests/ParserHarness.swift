@testable import HTTPServer
import Testing

/// The facts of one parsed request that tests compare (HTTPRequest itself is not Equatable).
struct ParsedRequest: Equatable, CustomStringConvertible {
    var method: HTTPMethod
    var path: String
    var query: String?
    var version: HTTPVersion
    var host: String?
    var keepAlive: Bool
    var headers: [String]
    var body: [UInt8]

    init(_ r: HTTPRequest) {
        method = r.method
        path = r.path
        query = r.query
        version = r.version
        host = r.host
        keepAlive = r.keepAlive
        headers = r.headers.fields.map { "\($0.name): \($0.value)" }
        body = r.body
    }

    var description: String {
        "\(method) \(path)\(query.map { "?" + $0 } ?? "") \(version) host=\(host ?? "-") ka=\(keepAlive) "
            + "headers=\(headers) body=\(String(decoding: body, as: UTF8.self).debugDescription)"
    }
}

/// Everything the parser reported for a byte stream, whatever the split.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var requests: [ParsedRequest] = []
    /// The error that ended parsing, if any (the connection is closed after it, so feeding stops).
    var error: HTTPParseError?
    /// Whether bytes of an unfinished message remain when the input ends.
    var isMidMessage = false
    /// How many `.continueExpected` events were seen; depends on the split, so not part of equality.
    var continues = 0

    static func == (a: Self, b: Self) -> Bool {
        a.requests == b.requests && a.error == b.error && a.isMidMessage == b.isMidMessage
    }

    var description: String {
        "requests=\(requests) error=\(error.map { "\($0)" } ?? "-") mid=\(isMidMessage)"
    }
}

/// Feeds `chunks` to a fresh parser, draining events after each append, stopping at the first error.
func parse(chunks: [ArraySlice<UInt8>], limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = RequestParser(limits: limits)
    var outcome = ParseOutcome()
    for chunk in chunks {
        parser.append(Array(chunk))
        drain: while true {
            switch parser.next() {
            case .needMore: break drain
            case .continueExpected: outcome.continues += 1
            case .request(let r): outcome.requests.append(ParsedRequest(r))
            case .error(let e):
                outcome.error = e
                return outcome
            }
        }
    }
    outcome.isMidMessage = parser.isMidMessage
    return outcome
}

/// Split positions to try: all of them for small inputs, otherwise both ends densely plus an even sample
/// (every split of a 16 KiB head is 16 K full parses, too slow for a debug build on two cores).
func splitPositions(count: Int, extra: [Int] = []) -> [Int] {
    guard count > 2_048 else { return Array(0...count) }
    var positions = Set(0...256).union((count - 256)...count)
    positions.formUnion(stride(from: 0, through: count, by: max(1, count / 256)))
    for e in extra { positions.formUnion(max(0, e - 4)...min(count, e + 4)) }
    return positions.sorted()
}

/// Parses `bytes` whole, split in two at every position, and one byte at a time; every way must agree.
/// Returns the outcome of the whole-buffer parse.
@discardableResult
func parseEverySplit(
    _ bytes: [UInt8], limits: HTTPLimits = HTTPLimits(), extraSplits: [Int] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) -> ParseOutcome {
    let whole = parse(chunks: [bytes[...]], limits: limits)
    for k in splitPositions(count: bytes.count, extra: extraSplits) {
        let split = parse(chunks: [bytes[..<k], bytes[k...]], limits: limits)
        if split != whole {
            Issue.record("split at \(k) of \(bytes.count): \(split) != whole \(whole)", sourceLocation: sourceLocation)
            return whole
        }
    }
    let single = parse(chunks: bytes.indices.map { bytes[$0...$0] }, limits: limits)
    #expect(single == whole, "one byte at a time: \(single) != whole \(whole)", sourceLocation: sourceLocation)
    return whole
}

/// Asserts that `bytes` is refused with `status` (in every split) and that no request came out of it.
func expectRefused(
    _ bytes: [UInt8], _ status: HTTPStatus, limits: HTTPLimits = HTTPLimits(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let outcome = parseEverySplit(bytes, limits: limits, sourceLocation: sourceLocation)
    #expect(outcome.requests.isEmpty, "no request may come out of a refused message: \(outcome)",
            sourceLocation: sourceLocation)
    #expect(outcome.error?.status == status, "expected \(status.code), got \(outcome)", sourceLocation: sourceLocation)
}

/// Asserts that `bytes` yields exactly `count` requests and no error (in every split), and returns them.
@discardableResult
func expectAccepted(
    _ bytes: [UInt8], count: Int = 1, limits: HTTPLimits = HTTPLimits(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ParsedRequest] {
    let outcome = parseEverySplit(bytes, limits: limits, sourceLocation: sourceLocation)
    #expect(outcome.error == nil, "unexpected error: \(outcome)", sourceLocation: sourceLocation)
    #expect(outcome.requests.count == count, "expected \(count) request(s): \(outcome)", sourceLocation: sourceLocation)
    #expect(!outcome.isMidMessage, "bytes left over: \(outcome)", sourceLocation: sourceLocation)
    return outcome.requests
}

/// The UTF-8 bytes of a string.
func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A GET head with a Host and the given extra field lines (each without CRLF).
func get(_ target: String = "/", version: String = "HTTP/1.1", fields: [String] = ["Host: a"]) -> [UInt8] {
    bytes("GET \(target) \(version)\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n")
}

/// A POST head with Host and `fields`, then `body` verbatim.
func post(_ target: String = "/", fields: [String], body: String = "", version: String = "HTTP/1.1") -> [UInt8] {
    bytes("POST \(target) \(version)\r\n" + (["Host: a"] + fields).map { $0 + "\r\n" }.joined() + "\r\n" + body)
}

/// A chunked POST with the given raw chunked body.
func chunkedPost(_ body: String, fields: [String] = []) -> [UInt8] {
    post(fields: ["Transfer-Encoding: chunked"] + fields, body: body)
}

/// A table row: an id from the security checklist, a name, raw bytes and the expected status.
struct RefusalCase: Sendable, CustomTestStringConvertible {
    let id: String
    let name: String
    let raw: [UInt8]
    let status: HTTPStatus
    var testDescription: String { "\(id) \(name) → \(status.code)" }

    init(_ id: String, _ name: String, _ raw: [UInt8], _ status: HTTPStatus) {
        self.id = id
        self.name = name
        self.raw = raw
        self.status = status
    }
}
