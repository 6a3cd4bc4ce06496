/// A small blocking HTTP/1.1 client (one request per connection, `Connection: close`) for outbound webhooks.
/// Runs on a dedicated thread (the outbox's), never on the cooperative pool. The whole exchange, name
/// resolution included, is bounded by `timeoutMilliseconds`, and the response by `HTTPClientResponseParser.maxBytes`.
public enum BlockingHTTPClient {
    /// Sends `POST url` with `headers` and `body` and reads the response.
    public static func post(_ url: HTTPClientURL, headers: [(String, String)], body: [UInt8],
                            timeoutMilliseconds: Int) throws(HTTPClientError) -> HTTPClientResponse {
        try send("POST", url, headers: headers, body: body, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Sends `GET url` with `headers` and reads the response.
    public static func get(_ url: HTTPClientURL, headers: [(String, String)], timeoutMilliseconds: Int) throws(HTTPClientError) -> HTTPClientResponse {
        try send("GET", url, headers: headers, body: nil, timeoutMilliseconds: timeoutMilliseconds)
    }

    private static func send(_ method: String, _ url: HTTPClientURL, headers: [(String, String)], body: [UInt8]?,
                             timeoutMilliseconds: Int) throws(HTTPClientError) -> HTTPClientResponse {
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
        for (name, value) in headers {
            guard !name.utf8.contains(where: { $0 <= 0x20 || $0 == 0x3A || $0 >= 0x7F }),
                  !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { throw .invalidHeader }
            head += "\(name): \(value)\r\n"
        }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        let request = Array(head.utf8) + (body ?? [])

        let deadline = ClientSocket.now() + Int64(timeoutMilliseconds)
        let socket = try ClientSocket.connect(host: url.host, port: url.port, deadline: deadline)
        if url.isTLS {
            let tls = try TLSClientStream(socket: socket, host: url.host, isIPLiteral: url.isIPLiteral, deadline: deadline)
            try tls.sendAll(request, deadline: deadline)
            return try readResponse { buffer, count throws(HTTPClientError) in try tls.receive(into: &buffer, count: count, deadline: deadline) }
        }
        try socket.sendAll(request, deadline: deadline)
        return try readResponse { buffer, count throws(HTTPClientError) in try socket.receive(into: &buffer, count: count, deadline: deadline) }
    }

    private static func readResponse(
        _ receive: (inout [UInt8], Int) throws(HTTPClientError) -> Int
    ) throws(HTTPClientError) -> HTTPClientResponse {
        var buffer: [UInt8] = []
        let limit = HTTPClientResponseParser.maxBytes
        while true {
            switch HTTPClientResponseParser.parse(buffer, atEOF: false) {
            case .complete(let response): return response
            case .invalid(let reason): throw .malformedResponse(reason)
            case .incomplete: break
            }
            guard buffer.count <= limit else { throw .responseTooLarge(limit: limit) }
            let n = try receive(&buffer, min(16 * 1024, limit + 1 - buffer.count))
            if n == 0 {
                switch HTTPClientResponseParser.parse(buffer, atEOF: true) {
                case .complete(let response): return response
                case .invalid(let reason): throw .malformedResponse(reason)
                case .incomplete: throw .malformedResponse("truncated")
                }
            }
        }
    }
}
