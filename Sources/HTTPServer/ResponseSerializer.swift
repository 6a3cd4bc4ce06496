/// Writes a response head and body to bytes (RFC 9112 §4, §6). Never emits both Content-Length and
/// Transfer-Encoding, never a body for HEAD/1xx/204/304, never Transfer-Encoding at all.
enum ResponseSerializer {
    /// Headers the server owns; a handler's copies are dropped.
    static let serverOwned: [String] = ["content-length", "transfer-encoding", "connection", "date", "keep-alive"]

    static func write(
        _ response: HTTPResponse, to out: inout [UInt8], date: [UInt8], requestID: String,
        isHead: Bool, closing: Bool, version: HTTPVersion
    ) {
        let status = response.status
        append(&out, "HTTP/1.1 ")
        appendDecimal(&out, status.code)
        out.append(0x20)
        append(&out, status.reasonPhrase)
        append(&out, "\r\nDate: ")
        out.append(contentsOf: date)
        out.append(contentsOf: [0x0D, 0x0A])
        var hasContentType = false
        for (name, value) in response.headers {
            if isServerOwned(name) { continue }
            if !hasContentType && HTTPHeaders.equalsIgnoringASCIICase(name, "content-type") { hasContentType = true }
            append(&out, name)
            append(&out, ": ")
            append(&out, value)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        if !status.forbidsBody {
            if !hasContentType && !response.body.isEmpty { append(&out, "Content-Type: application/octet-stream\r\n") }
            append(&out, "Content-Length: ")
            appendDecimal(&out, response.body.count)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        if !requestID.isEmpty {
            append(&out, "X-Request-Id: ")
            append(&out, requestID)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        if closing {
            append(&out, "Connection: close\r\n")
        } else if version == .http10 {
            append(&out, "Connection: keep-alive\r\n")
        }
        out.append(contentsOf: [0x0D, 0x0A])
        if !isHead && !status.forbidsBody { out.append(contentsOf: response.body) }
    }

    /// Whether the server writes this field itself; most names are ruled out by their length alone.
    @inline(__always) static func isServerOwned(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4, 10, 14, 17: serverOwned.contains(where: { HTTPHeaders.equalsIgnoringASCIICase($0, name) })
        default: false
        }
    }

    @inline(__always) static func append(_ out: inout [UInt8], _ s: String) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    static func appendDecimal(_ out: inout [UInt8], _ value: Int) {
        if value < 10 { out.append(UInt8(0x30 + value)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 {
                buf[count] = UInt8(0x30 + n % 10)
                n /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }
}
