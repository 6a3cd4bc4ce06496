/// What the parser produced from the bytes it holds.
public enum ParseEvent: Sendable {
    /// Nothing complete yet; feed more bytes.
    case needMore
    /// The head asked for `Expect: 100-continue` and its body has not started: send `100 Continue` (RFC 9110 §10.1.1).
    case continueExpected
    /// A complete request, body included.
    case request(HTTPRequest)
    /// The bytes break RFC 9112; answer with the error's status and close.
    case error(HTTPParseError)
}

/// A strict, bounded, incremental HTTP/1.1 request parser (RFC 9112). Pure: bytes in, events out; no I/O, no clock.
///
/// Bytes may arrive in any split, one at a time included. Pipelined requests stay buffered until `next()` is
/// called again, so the caller decides when to start the next one (responses go out in order, RFC 9112 §9.3.2).
public struct RequestParser: Sendable {
    /// The limits in force.
    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Start of unconsumed bytes in `buffer`.
    private var start = 0
    private var state: State

    /// A parser with the given limits.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        self.state = .head(HeadScan(at: 0))
    }

    /// Bytes received and not yet consumed by a complete request.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether a request has begun (head bytes or body pending) but is not complete.
    public var isMidMessage: Bool {
        switch state {
        case .head: bufferedByteCount > 0
        case .fixedBody, .chunked, .failed: true
        }
    }

    /// Whether the head is complete and the body is being read.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunked: true
        case .head, .failed: false
        }
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// Advances as far as the buffered bytes allow and reports the next event.
    public mutating func next() -> ParseEvent {
        while true {
            switch state {
            case .failed(let error):
                return .error(error)
            case .head(var scan):
                let result = scanHead(&scan)
                switch result {
                case .incomplete:
                    start = scan.messageStart
                    state = .head(scan)
                    compactIfIdle()
                    return .needMore
                case .error(let e):
                    return fail(e)
                case .complete(let headEnd):
                    switch parseHead(scan, headEnd: headEnd) {
                    case .failure(let e):
                        return fail(e)
                    case .success(let head):
                        start = headEnd
                        switch head.framing {
                        case .none:
                            return finish(head, body: [])
                        case .length(let n):
                            state = .fixedBody(head, remaining: n, body: [])
                        case .chunked:
                            state = .chunked(head, .size, body: [])
                        }
                    }
                }
            case .fixedBody(var head, let remaining, var body):
                state = .failed(.bad("parser re-entered"))  // drops the enum's reference so `body` grows in place
                let available = buffer.count - start
                if available == 0 {
                    let sendContinue = head.expectContinue && !head.continueSent
                    head.continueSent = true
                    state = .fixedBody(head, remaining: remaining, body: body)
                    return sendContinue ? .continueExpected : .needMore
                }
                let take = min(available, remaining)
                if body.isEmpty { body.reserveCapacity(remaining) }
                body.append(contentsOf: buffer[start..<(start + take)])
                start += take
                if take == remaining { return finish(head, body: body) }
                state = .fixedBody(head, remaining: remaining - take, body: body)
                compactBody()
                return .needMore
            case .chunked(var head, let phase, var body):
                state = .failed(.bad("parser re-entered"))  // drops the enum's reference so `body` grows in place
                if head.expectContinue && !head.continueSent && buffer.count == start {
                    head.continueSent = true
                    state = .chunked(head, phase, body: body)
                    return .continueExpected
                }
                switch stepChunked(phase, body: &body) {
                case .needMore(let newPhase):
                    state = .chunked(head, newPhase, body: body)
                    compactBody()
                    return .needMore
                case .progress(let newPhase):
                    state = .chunked(head, newPhase, body: body)
                case .done:
                    return finish(head, body: body)
                case .error(let e):
                    return fail(e)
                }
            }
        }
    }

    // MARK: - State

    private enum State: Sendable {
        case head(HeadScan)
        case fixedBody(ParsedHead, remaining: Int, body: [UInt8])
        case chunked(ParsedHead, ChunkPhase, body: [UInt8])
        case failed(HTTPParseError)
    }

    /// Progress of the line scan over a head; indexes are absolute in `buffer`.
    private struct HeadScan: Sendable {
        var messageStart: Int
        var scan: Int
        var lineStart: Int
        var requestLineEnd: Int?
        var firstSpace: Int?
        var fieldCount = 0
        var emptyLines = 0
        var sawCR = false

        init(at index: Int) {
            messageStart = index
            scan = index
            lineStart = index
        }
    }

    private struct ParsedHead: Sendable {
        var request: HTTPRequest
        var framing: BodyFraming
        var expectContinue: Bool
        var continueSent = false
    }

    private enum ChunkPhase: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer(count: Int, bytes: Int)
    }

    private enum ScanResult {
        case incomplete, complete(headEnd: Int), error(HTTPParseError)
    }

    private enum ChunkStep {
        case needMore(ChunkPhase), progress(ChunkPhase), done, error(HTTPParseError)
    }

    private mutating func fail(_ error: HTTPParseError) -> ParseEvent {
        state = .failed(error)
        return .error(error)
    }

    private mutating func finish(_ head: consuming ParsedHead, body: [UInt8]) -> ParseEvent {
        var request = (consume head).request
        // The request's storage is shared until now only if a body was read; skip the write for the common empty case.
        if !body.isEmpty { request.body = body }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            start = 0
        } else if start > 16 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
        state = .head(HeadScan(at: start))
        return .request(request)
    }

    /// Drops consumed bytes between messages; the count of leading empty lines carries over, so the limit
    /// holds however the bytes were split.
    private mutating func compactIfIdle() {
        guard start == buffer.count && start > 0, case .head(let scan) = state else { return }
        buffer.removeAll(keepingCapacity: true)
        start = 0
        var fresh = HeadScan(at: 0)
        fresh.emptyLines = scan.emptyLines
        state = .head(fresh)
    }

    private mutating func compactBody() {
        if start > 64 * 1024 || start == buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }

    // MARK: - Head

    /// Scans for the end of the head, refusing bare CR/LF and oversize lines as soon as they appear
    /// (RFC 9112 §2.2: a bare CR must be rejected or replaced; bare LF is refused here by choice).
    private func scanHead(_ s: inout HeadScan) -> ScanResult {
        let limits = self.limits
        return buffer.withUnsafeBufferPointer { p -> ScanResult in
            var i = s.scan
            let count = p.count
            while i < count {
                if !s.sawCR, let requestLineEnd = s.requestLineEnd {
                    // Inside a field line: skip to its CR (or a bare LF) in a tight loop; the checks below only
                    // act on CR and LF there, and the size limit is one comparison on how far the skip went.
                    let firstOverLimit = requestLineEnd + 2 + limits.maxHeaderBytes
                    var j = i
                    while j < count {
                        let c = p[j]
                        if c == ByteClasses.CR || c == ByteClasses.LF { break }
                        j += 1
                    }
                    // Over the limit when a byte it skipped lies at or past the first index over it.
                    if j > i && j > firstOverLimit {
                        return .error(HTTPParseError(.headerFieldsTooLarge, "header section too large"))
                    }
                    i = j
                    if i == count { break }
                }
                let b = p[i]
                if s.sawCR {
                    guard b == ByteClasses.LF else { return .error(.bad("bare CR in head")) }
                    s.sawCR = false
                    let lineEnd = i - 1
                    if lineEnd == s.lineStart {
                        if s.requestLineEnd == nil {
                            s.emptyLines += 1
                            if s.emptyLines > limits.maxLeadingEmptyLines {
                                return .error(.bad("too many empty lines before request-line"))
                            }
                            s.messageStart = i + 1
                        } else {
                            s.scan = i + 1
                            return .complete(headEnd: i + 1)
                        }
                    } else if s.requestLineEnd == nil {
                        s.requestLineEnd = lineEnd
                    } else {
                        s.fieldCount += 1
                        if s.fieldCount > limits.maxHeaderCount {
                            return .error(HTTPParseError(.headerFieldsTooLarge, "too many header fields"))
                        }
                    }
                    s.lineStart = i + 1
                } else if b == ByteClasses.CR {
                    s.sawCR = true
                } else if b == ByteClasses.LF {
                    return .error(.bad("bare LF in head"))
                } else if let requestLineEnd = s.requestLineEnd {
                    if i - (requestLineEnd + 2) >= limits.maxHeaderBytes {
                        return .error(HTTPParseError(.headerFieldsTooLarge, "header section too large"))
                    }
                } else {
                    if b == ByteClasses.SP && s.firstSpace == nil { s.firstSpace = i }
                    if s.firstSpace == nil && i - s.lineStart >= limits.maxMethodBytes {
                        let method = UnsafeBufferPointer(rebasing: p[s.lineStart...i])
                        return method.allSatisfy({ ByteClasses.tchar[Int($0)] })
                            ? .error(HTTPParseError(.notImplemented, "method too long"))
                            : .error(.bad("invalid method"))
                    }
                    if i - s.lineStart >= limits.maxRequestLineBytes {
                        return .error(HTTPParseError(.uriTooLong, "request-line too long"))
                    }
                }
                i += 1
            }
            s.scan = i
            return .incomplete
        }
    }

    private func parseHead(_ s: HeadScan, headEnd: Int) -> Result<ParsedHead, HTTPParseError> {
        buffer.withUnsafeBufferPointer { p in
            HeadParser(p: p, limits: limits).parse(
                lineStart: s.messageStart, requestLineEnd: s.requestLineEnd!, headEnd: headEnd, fieldCount: s.fieldCount
            ).map { ParsedHead(request: $0.request, framing: $0.framing, expectContinue: $0.expectContinue) }
        }
    }

    // MARK: - Chunked body (RFC 9112 §7.1)

    private mutating func stepChunked(_ phase: ChunkPhase, body: inout [UInt8]) -> ChunkStep {
        switch phase {
        case .size:
            let cap = limits.maxChunkSizeDigits + limits.maxChunkExtensionBytes + 2
            switch findLine(cap: cap) {
            case .none: return .needMore(.size)
            case .tooLong: return .error(.bad("chunk-size line too long"))
            case .bareLF: return .error(.bad("bare LF in chunk-size line"))
            case .line(let range, let next):
                let size: Int
                switch parseChunkSizeLine(range) {
                case .failure(let e): return .error(e)
                case .success(let n): size = n
                }
                start = next
                if size == 0 { return .progress(.trailer(count: 0, bytes: 0)) }
                if body.count + size > limits.maxBodyBytes {
                    return .error(HTTPParseError(.contentTooLarge, "chunked body too large"))
                }
                return .progress(.data(remaining: size))
            }
        case .data(let remaining):
            let available = buffer.count - start
            if available == 0 { return .needMore(phase) }
            let take = min(available, remaining)
            body.append(contentsOf: buffer[start..<(start + take)])
            start += take
            return take == remaining ? .progress(.dataEnd) : .needMore(.data(remaining: remaining - take))
        case .dataEnd:
            let available = buffer.count - start
            if available >= 1 && buffer[start] != ByteClasses.CR { return .error(.bad("chunk data not followed by CRLF")) }
            if available < 2 { return .needMore(phase) }
            if buffer[start + 1] != ByteClasses.LF { return .error(.bad("chunk data not followed by CRLF")) }
            start += 2
            return .progress(.size)
        case .trailer(let count, let bytes):
            // The trailer section is measured like the header section: field lines and the CRLFs between them,
            // not the CRLF CRLF that ends it, so the empty last line always fits (`bytes` ≤ max + 2).
            switch findLine(cap: limits.maxHeaderBytes - bytes + 3) {
            case .none: return .needMore(phase)
            case .tooLong: return .error(HTTPParseError(.headerFieldsTooLarge, "trailer section too large"))
            case .bareLF: return .error(.bad("bare LF in trailer"))
            case .line(let range, let next):
                start = next
                if range.isEmpty { return .done }
                if bytes + range.count > limits.maxHeaderBytes {
                    return .error(HTTPParseError(.headerFieldsTooLarge, "trailer section too large"))
                }
                if count + 1 > limits.maxHeaderCount {
                    return .error(HTTPParseError(.headerFieldsTooLarge, "too many trailer fields"))
                }
                // Trailer fields are validated and discarded, never merged into the headers (RFC 9110 §6.5.1).
                let valid = buffer.withUnsafeBufferPointer { p in
                    HeadParser(p: p, limits: limits).splitField(range) != nil
                }
                guard valid else { return .error(.bad("invalid trailer field")) }
                return .progress(.trailer(count: count + 1, bytes: bytes + range.count + 2))
            }
        }
    }

    private enum LineSearch {
        case none, tooLong, bareLF, line(Range<Int>, next: Int)
    }

    /// Finds the next CRLF-terminated line from `start`, at most `cap` bytes long including CRLF.
    private func findLine(cap: Int) -> LineSearch {
        let end = buffer.count
        var i = start
        while i < end {
            if buffer[i] == ByteClasses.LF {
                if i == start || buffer[i - 1] != ByteClasses.CR { return .bareLF }
                return .line(start..<(i - 1), next: i + 1)
            }
            i += 1
            if i - start > cap { return .tooLong }
        }
        return .none
    }

    /// chunk-size [ chunk-ext ]: 1*HEXDIG *( ";" token [ "=" ( token / quoted-string ) ] ), validated byte by
    /// byte: never `Int(_:radix:)`, which accepts "+5" and "-1".
    private func parseChunkSizeLine(_ range: Range<Int>) -> Result<Int, HTTPParseError> {
        var i = range.lowerBound
        var size = 0
        var digits = 0
        while i < range.upperBound, let v = ByteClasses.hexValue(buffer[i]) {
            digits += 1
            if digits > limits.maxChunkSizeDigits { return .failure(.bad("chunk-size too long")) }
            size = size << 4 | v
            i += 1
        }
        if digits == 0 { return .failure(.bad("invalid chunk-size")) }
        if i == range.upperBound { return .success(size) }
        if range.upperBound - i > limits.maxChunkExtensionBytes { return .failure(.bad("chunk extension too long")) }
        while i < range.upperBound {
            guard buffer[i] == UInt8(ascii: ";") else { return .failure(.bad("invalid chunk-size")) }
            i += 1
            let nameStart = i
            while i < range.upperBound && ByteClasses.tchar[Int(buffer[i])] { i += 1 }
            if i == nameStart { return .failure(.bad("empty chunk extension name")) }
            guard i < range.upperBound, buffer[i] == UInt8(ascii: "=") else { continue }
            i += 1
            if i < range.upperBound && buffer[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < range.upperBound {
                    let b = buffer[i]
                    if b == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if b == UInt8(ascii: "\\") { i += 1 }
                    guard i < range.upperBound, ByteClasses.fieldValueChar[Int(buffer[i])] else {
                        return .failure(.bad("invalid chunk extension value"))
                    }
                    i += 1
                }
                if !closed { return .failure(.bad("unterminated chunk extension value")) }
            } else {
                let valueStart = i
                while i < range.upperBound && ByteClasses.tchar[Int(buffer[i])] { i += 1 }
                if i == valueStart { return .failure(.bad("empty chunk extension value")) }
            }
        }
        return .success(size)
    }
}
