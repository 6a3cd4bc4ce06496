@testable import HTTPServer
import Testing

/// A set of limits under test: the defaults, and a tight profile whose messages are small enough to be
/// parsed at every split position. Tests read every number from the profile, never a literal.
struct LimitProfile: Sendable, CustomTestStringConvertible {
    let name: String
    let limits: HTTPLimits
    var testDescription: String { name }

    static let defaults = LimitProfile(name: "default limits", limits: HTTPLimits())
    static let tight: LimitProfile = {
        var l = HTTPLimits()
        l.maxRequestLineBytes = 64
        l.maxMethodBytes = 7
        l.maxHeaderBytes = 160
        l.maxHeaderCount = 6
        l.maxBodyBytes = 40
        l.maxChunkSizeDigits = 3
        l.maxChunkExtensionBytes = 24
        l.maxLeadingEmptyLines = 2
        return LimitProfile(name: "tight limits", limits: l)
    }()
    static let all = [defaults, tight]
}

/// Every limit of `HTTPLimits` at its value (accepted) and one past it (refused with its status).
@Suite struct RequestParserLimitTests {
    /// `GET /aaa… HTTP/1.1` whose request-line (without CRLF) is exactly `length` bytes.
    static func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    /// H21 / RFC 9112 §3: request-line at maxRequestLineBytes is served, one more byte → 414.
    @Test("414 request-line at limit / limit+1", arguments: LimitProfile.all)
    func requestLineLimit(_ p: LimitProfile) {
        let max = p.limits.maxRequestLineBytes
        let atLimit = bytes(Self.requestLine(length: max) + "\r\nHost: a\r\n\r\n")
        let r = expectAccepted(atLimit, limits: p.limits)
        #expect(r.first.map { $0.path.utf8.count + "GET  HTTP/1.1".utf8.count } == max)
        expectRefused(bytes(Self.requestLine(length: max + 1) + "\r\nHost: a\r\n\r\n"), .uriTooLong, limits: p.limits)
        // H21: 100 KB URL, refused before the line ends.
        let huge = bytes("GET /" + String(repeating: "a", count: 100 * 1024))
        #expect(parse(chunks: [huge[...]], limits: p.limits).error?.status == .uriTooLong)
    }

    /// A head whose header section (from after the request-line CRLF to before the final CRLF CRLF) is
    /// exactly `length` bytes: `Host: a` and one filler field.
    static func headerSection(length: Int) -> [UInt8] {
        let prefix = "Host: a\r\nX-Fill: "
        return bytes("GET / HTTP/1.1\r\n" + prefix + String(repeating: "v", count: length - prefix.utf8.count) + "\r\n\r\n")
    }

    /// H21 / RFC 6585 §5: header section at maxHeaderBytes is served, one more byte → 431.
    @Test("431 header section at limit / limit+1", arguments: LimitProfile.all)
    func headerBytesLimit(_ p: LimitProfile) {
        let max = p.limits.maxHeaderBytes
        expectAccepted(Self.headerSection(length: max), limits: p.limits)
        expectRefused(Self.headerSection(length: max + 1), .headerFieldsTooLarge, limits: p.limits)
        // H21: 100 KB header value and 100 KB header name, refused before the line ends.
        let bigValue = bytes("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 100 * 1024))
        #expect(parse(chunks: [bigValue[...]], limits: p.limits).error?.status == .headerFieldsTooLarge)
        let bigName = bytes("GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "N", count: 100 * 1024))
        #expect(parse(chunks: [bigName[...]], limits: p.limits).error?.status == .headerFieldsTooLarge)
    }

    static func fields(count: Int) -> [String] {
        ["Host: a"] + (1..<count).map { "X-\($0): v" }
    }

    /// H21: maxHeaderCount fields are served, one more → 431; 10 000 fields → 431.
    @Test("431 header count at limit / limit+1", arguments: LimitProfile.all)
    func headerCountLimit(_ p: LimitProfile) {
        let max = p.limits.maxHeaderCount
        let r = expectAccepted(get(fields: Self.fields(count: max)), limits: p.limits)
        #expect(r.first?.headers.count == max)
        expectRefused(get(fields: Self.fields(count: max + 1)), .headerFieldsTooLarge, limits: p.limits)
        let flood = get(fields: Self.fields(count: 10_000))
        #expect(parse(chunks: [flood[...]], limits: p.limits).error?.status == .headerFieldsTooLarge)
    }

    /// H22 / RFC 9110 §15.5.14: Content-Length at maxBodyBytes is read, one more → 413 before any body byte.
    @Test("413 Content-Length at limit / limit+1", arguments: LimitProfile.all)
    func contentLengthLimit(_ p: LimitProfile) {
        let max = p.limits.maxBodyBytes
        let body = String(repeating: "b", count: max)
        let message = post(fields: ["Content-Length: \(max)"], body: body)
        if max <= 4_096 {
            #expect(expectAccepted(message, limits: p.limits).first?.body.count == max)
        } else {
            // A 1 MiB body is parsed whole and in a few splits; byte-at-a-time is covered by the tight profile.
            let head = message.count - max
            for k in [0, head - 1, head, head + 1, head + max / 2, message.count - 1] {
                let o = parse(chunks: [message[..<k], message[k...]], limits: p.limits)
                #expect(o.error == nil && o.requests.first?.body.count == max, "split \(k)")
            }
        }
        // Head only, no body sent: refused at once.
        expectRefused(post(fields: ["Content-Length: \(max + 1)"]), .contentTooLarge, limits: p.limits)
        expectRefused(post(fields: ["Content-Length: 999999999"]), .contentTooLarge, limits: p.limits)
    }

    /// 413 for a chunked body whose total passes maxBodyBytes, detected at the chunk-size line.
    @Test("413 chunked body at limit / limit+1", arguments: LimitProfile.all)
    func chunkedBodyLimit(_ p: LimitProfile) {
        let max = p.limits.maxBodyBytes
        let half = max / 2
        let first = String(repeating: "x", count: half)
        let second = String(repeating: "y", count: max - half)
        func hex(_ n: Int) -> String { String(n, radix: 16) }
        let atLimit = chunkedPost("\(hex(half))\r\n\(first)\r\n\(hex(max - half))\r\n\(second)\r\n0\r\n\r\n")
        if max <= 4_096 {
            #expect(expectAccepted(atLimit, limits: p.limits).first?.body.count == max)
        } else {
            #expect(parse(chunks: [atLimit[...]], limits: p.limits).requests.first?.body.count == max)
        }
        // One byte more, announced by the last chunk-size: refused without reading its data.
        expectRefused(chunkedPost("\(hex(half))\r\n\(first)\r\n\(hex(max - half + 1))\r\n"), .contentTooLarge, limits: p.limits)
        expectRefused(chunkedPost("\(hex(max + 1))\r\n"), .contentTooLarge, limits: p.limits)
    }

    /// H7 / RFC 9112 §7.1: chunk-size of maxChunkSizeDigits hex digits is read, one more digit → 400.
    @Test("400 chunk-size digits at limit / limit+1", arguments: LimitProfile.all)
    func chunkSizeDigitsLimit(_ p: LimitProfile) {
        let digits = p.limits.maxChunkSizeDigits
        let atLimit = String(repeating: "0", count: digits - 1) + "5"
        #expect(expectAccepted(chunkedPost("\(atLimit)\r\nhello\r\n0\r\n\r\n"), limits: p.limits).first?.body == bytes("hello"))
        expectRefused(chunkedPost("0\(atLimit)\r\nhello\r\n0\r\n\r\n"), .badRequest, limits: p.limits)
    }

    /// RFC 9112 §7.1.1: chunk extensions of maxChunkExtensionBytes are read, one more byte → 400.
    @Test("400 chunk extension at limit / limit+1", arguments: LimitProfile.all)
    func chunkExtensionLimit(_ p: LimitProfile) {
        let max = p.limits.maxChunkExtensionBytes
        func ext(_ n: Int) -> String { ";" + String(repeating: "e", count: n - 1) }
        expectAccepted(chunkedPost("5\(ext(max))\r\nhello\r\n0\r\n\r\n"), limits: p.limits)
        expectRefused(chunkedPost("5\(ext(max + 1))\r\nhello\r\n0\r\n\r\n"), .badRequest, limits: p.limits)
        // Also on the last chunk, and with the longest chunk-size.
        let size = String(repeating: "0", count: p.limits.maxChunkSizeDigits)
        expectAccepted(chunkedPost("\(size)\(ext(max))\r\n\r\n"), limits: p.limits)
        expectRefused(chunkedPost("\(size)\(ext(max + 1))\r\n\r\n"), .badRequest, limits: p.limits)
        // A 64 KiB extension (CVE-2023-39326 class) is refused without waiting for its end.
        let flood = chunkedPost("5;" + String(repeating: "e", count: 64 * 1024))
        #expect(parse(chunks: [flood[...]], limits: p.limits).error?.status == .badRequest)
    }

    /// RFC 9112 §2.2: up to maxLeadingEmptyLines CRLFs before the request-line are skipped, one more → 400.
    @Test("400 leading empty lines at limit / limit+1", arguments: LimitProfile.all)
    func leadingEmptyLinesLimit(_ p: LimitProfile) {
        let max = p.limits.maxLeadingEmptyLines
        let r = expectAccepted(bytes(String(repeating: "\r\n", count: max)) + get("/x"), limits: p.limits)
        #expect(r.first?.path == "/x")
        expectRefused(bytes(String(repeating: "\r\n", count: max + 1)) + get("/x"), .badRequest, limits: p.limits)
        // Between pipelined requests the count starts again.
        let two = get("/a") + bytes(String(repeating: "\r\n", count: max)) + get("/b")
        #expect(expectAccepted(two, count: 2, limits: p.limits).map(\.path) == ["/a", "/b"])
    }

    /// H19: a method of maxMethodBytes is parsed, a longer one → 501 early.
    @Test func methodLengthLimit() {
        var limits = HTTPLimits()
        limits.maxMethodBytes = "OPTIONS".utf8.count
        expectAccepted(bytes("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), limits: limits)
        limits.maxMethodBytes -= 1
        expectRefused(bytes("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented, limits: limits)
        // With the defaults: an unknown method of exactly maxMethodBytes is 501 once parsed; one longer is 501
        // before the request-line ends.
        let max = HTTPLimits().maxMethodBytes
        expectRefused(bytes(String(repeating: "M", count: max) + " / HTTP/1.1\r\nHost: a\r\n\r\n"), .notImplemented)
        let early = parse(chunks: [bytes(String(repeating: "M", count: max + 1))[...]])
        #expect(early.error?.status == .notImplemented)
        let notYet = parse(chunks: [bytes(String(repeating: "M", count: max))[...]])
        #expect(notYet.error == nil)
    }

    /// H9: trailer fields count against maxHeaderCount and maxHeaderBytes like header fields (→ 431).
    @Test("431 trailer section at limit / limit+1", arguments: LimitProfile.all)
    func trailerLimits(_ p: LimitProfile) {
        let maxCount = p.limits.maxHeaderCount
        let trailers = (0..<maxCount).map { "T-\($0): v\r\n" }.joined()
        expectAccepted(chunkedPost("0\r\n" + trailers + "\r\n"), limits: p.limits)
        expectRefused(chunkedPost("0\r\n" + trailers + "T-x: v\r\n\r\n"), .headerFieldsTooLarge, limits: p.limits)

        // Trailer section measured like the header section: bytes up to, not including, the final CRLF CRLF.
        let maxBytes = p.limits.maxHeaderBytes
        func section(_ n: Int) -> String { "T: " + String(repeating: "v", count: n - 3) + "\r\n\r\n" }
        expectAccepted(chunkedPost("0\r\n" + section(maxBytes)), limits: p.limits)
        expectRefused(chunkedPost("0\r\n" + section(maxBytes + 1)), .headerFieldsTooLarge, limits: p.limits)
    }
}
