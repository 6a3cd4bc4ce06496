/// Writes a response head and body to bytes (RFC 9112 §4, §6). Never emits both Content-Length and
/// Transfer-Encoding, never a body for HEAD/1xx/204/304, never Transfer-Encoding at all.
enum ResponseSerializer {
    static func write(
        _ response: HTTPResponse, to out: inout [UInt8], date: [UInt8], requestID: String,
        isHead: Bool, closing: Bool, version: HTTPVersion
    ) {
        let status = response.status
        let fields = response.headers.fields
        let reason = status.reasonPhrase
        // The head is written into one scratch buffer and appended to `out` at once, then the body: two appends
        // per response instead of one per piece (each `append(contentsOf:)` costs ~100 instructions whatever its
        // length, and a response had about twenty). The bound: every fixed piece at its longest (status code and
        // Content-Length at 20 digits), plus the variable ones.
        var bound = 256 + reason.utf8.count + date.count + requestID.utf8.count
        for field in fields { bound += field.name.utf8.count + field.value.utf8.count + 4 }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { scratch in
            var head = ByteWriter(scratch.baseAddress!)
            head.put("HTTP/1.1 ")
            head.decimal(UInt64(max(0, status.code)))
            head.byte(0x20)
            head.put(contentsOf: reason)
            head.put("\r\nDate: ")
            date.withUnsafeBufferPointer { head.put($0) }
            head.put("\r\n")
            var hasContentType = false
            for field in fields {
                var name = field.name, value = field.value
                let skip = name.withUTF8 { name -> Bool in
                    if isServerOwned(name) { return true }
                    if !hasContentType && equalsLowercase(name, "content-type") { hasContentType = true }
                    head.put(name)
                    return false
                }
                if skip { continue }
                head.put(": ")
                value.withUTF8 { head.put($0) }
                head.put("\r\n")
            }
            if !status.forbidsBody {
                if !hasContentType && !response.body.isEmpty { head.put("Content-Type: application/octet-stream\r\n") }
                head.put("Content-Length: ")
                head.decimal(UInt64(response.body.count))
                head.put("\r\n")
            }
            if !requestID.isEmpty {
                head.put("X-Request-Id: ")
                head.put(contentsOf: requestID)
                head.put("\r\n")
            }
            if closing {
                head.put("Connection: close\r\n")
            } else if version == .http10 {
                head.put("Connection: keep-alive\r\n")
            }
            head.put("\r\n")
            precondition(head.count <= bound, "response head bound")
            out.append(contentsOf: head.written)
        }
        if !isHead && !status.forbidsBody { out.append(contentsOf: response.body) }
    }

    /// Whether `name` is `lowercase` (given in lowercase ASCII) ignoring ASCII case.
    @inline(__always) static func equalsLowercase(_ name: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard name.count == lowercase.utf8CodeUnitCount else { return false }
        let wanted = lowercase.utf8Start
        for i in 0..<name.count where HTTPHeaders.asciiLower(name[i]) != wanted[i] { return false }
        return true
    }

    /// Whether the server writes this field itself (Content-Length, Transfer-Encoding, Connection, Date,
    /// Keep-Alive: a handler's copies are dropped); most names are ruled out by their length alone.
    @inline(__always) static func isServerOwned(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 4: equalsLowercase(name, "date")
        case 10: equalsLowercase(name, "connection") || equalsLowercase(name, "keep-alive")
        case 14: equalsLowercase(name, "content-length")
        case 17: equalsLowercase(name, "transfer-encoding")
        default: false
        }
    }

    @inline(__always) static func append(_ out: inout [UInt8], _ s: String) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }
}
