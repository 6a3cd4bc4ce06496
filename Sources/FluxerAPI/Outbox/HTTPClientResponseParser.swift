import FluxerDomain

/// A pure, bounded parser for an HTTP/1.1 response (RFC 9112 §4, §6): status line, header fields, and a body
/// framed by `Transfer-Encoding: chunked`, `Content-Length` or the end of the connection. Interim 1xx
/// responses are skipped.
package enum HTTPClientResponseParser {
    package enum Outcome: Equatable {
        /// More bytes are needed.
        case incomplete
        case complete(HTTPClientResponse)
        case invalid(String)
    }

    /// The most response bytes read (head + body).
    package static let maxBytes = 64 * 1024
    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// Parses `bytes`; `atEOF` says the peer closed, which completes a body framed by the connection.
    package static func parse(_ bytes: [UInt8], atEOF: Bool) -> Outcome {
        var start = 0
        while true {
            guard let headEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: start) else {
                return atEOF ? .invalid("truncated head") : .incomplete
            }
            let headText = String(decoding: bytes[start..<headEnd], as: UTF8.self)
            let lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false)
            guard let statusLine = lines.first, let status = parseStatusLine(statusLine) else {
                return .invalid("bad status line")
            }
            var headers: [(name: String, value: String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                      !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else { return .invalid("bad header line") }
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingASCIIWhitespace()))
            }
            let bodyStart = headEnd + 4
            if status >= 100 && status < 200 {
                start = bodyStart
                continue
            }
            let response = HTTPClientResponse(status: status, headers: headers, body: [])
            if status == 204 || status == 304 { return .complete(response) }
            return parseBody(bytes, from: bodyStart, response: response, atEOF: atEOF)
        }
    }

    private static func parseBody(_ bytes: [UInt8], from start: Int, response: HTTPClientResponse, atEOF: Bool) -> Outcome {
        var response = response
        if let coding = response.header("Transfer-Encoding") {
            guard coding.lowercased().split(separator: ",").last?.trimmingASCIIWhitespace() == "chunked" else {
                return atEOF ? .complete(with(&response, bytes[start...])) : .incomplete
            }
            return parseChunked(bytes, from: start, response: response, atEOF: atEOF)
        }
        if let lengthText = response.header("Content-Length") {
            guard !lengthText.isEmpty, lengthText.count <= 10, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let length = Int(lengthText) else { return .invalid("bad Content-Length") }
            guard length <= maxBytes else { return .invalid("body too large") }
            if bytes.count - start >= length { return .complete(with(&response, bytes[start..<(start + length)])) }
            return atEOF ? .invalid("truncated body") : .incomplete
        }
        return atEOF ? .complete(with(&response, bytes[start...])) : .incomplete
    }

    private static func parseChunked(_ bytes: [UInt8], from start: Int, response: HTTPClientResponse, atEOF: Bool) -> Outcome {
        var response = response
        var body: [UInt8] = []
        var i = start
        while true {
            guard let lineEnd = find(crlf, in: bytes, from: i) else { return atEOF ? .invalid("truncated chunk") : .incomplete }
            guard let size = chunkSize(bytes[i..<lineEnd]) else { return .invalid("bad chunk size") }
            i = lineEnd + 2
            if size == 0 {
                // Trailer fields, then an empty line.
                while true {
                    guard let end = find(crlf, in: bytes, from: i) else { return atEOF ? .invalid("truncated trailers") : .incomplete }
                    if end == i {
                        response.body = body
                        return .complete(response)
                    }
                    i = end + 2
                }
            }
            guard body.count + size <= maxBytes else { return .invalid("body too large") }
            guard bytes.count >= i + size + 2 else { return atEOF ? .invalid("truncated chunk") : .incomplete }
            guard bytes[i + size] == 0x0D, bytes[i + size + 1] == 0x0A else { return .invalid("bad chunk end") }
            body.append(contentsOf: bytes[i..<(i + size)])
            i += size + 2
        }
    }

    /// The most hex digits in a chunk size: 8 digits (4 GiB) already exceed `maxBytes`, and cannot overflow `Int`.
    package static let maxChunkSizeDigits = 8

    /// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1): 1*HEXDIG, then nothing, whitespace (BWS) or `;` and an
    /// extension, which is ignored. Digits are read byte by byte: never `Int(_:radix:)`, which accepts a sign
    /// ("-2", "+5"), so a hostile upstream could make the size negative and trap on a slice.
    package static func chunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var size = 0
        var digits = 0
        var i = line.startIndex
        while i < line.endIndex, let value = hexDigit(line[i]) {
            digits += 1
            guard digits <= maxChunkSizeDigits else { return nil }
            size = size << 4 | value
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < line.endIndex, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
        guard i == line.endIndex || line[i] == UInt8(ascii: ";") else { return nil }
        return size
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        default: nil
        }
    }

    /// `HTTP/1.x SP 3DIGIT [SP reason]` (RFC 9112 §4).
    private static func parseStatusLine(_ line: Substring) -> Int? {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 12, utf8[0..<7].elementsEqual("HTTP/1.".utf8), utf8[7] >= 0x30, utf8[7] <= 0x39,
              utf8[8] == 0x20, utf8[9...11].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              utf8.count == 12 || utf8[12] == 0x20 else { return nil }
        return Int(utf8[9] - 0x30) * 100 + Int(utf8[10] - 0x30) * 10 + Int(utf8[11] - 0x30)
    }

    private static func with(_ response: inout HTTPClientResponse, _ body: ArraySlice<UInt8>) -> HTTPClientResponse {
        response.body = Array(body)
        return response
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var i = start
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
