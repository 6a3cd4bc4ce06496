import HTTPServer

/// Formats one access-log line per request: method, route pattern, status, duration, request id, peer.
/// Never the raw path, query string, headers or body (tokens and codes travel there).
enum AccessLog {
    static func line(_ record: RequestLogRecord) -> String {
        let micros = record.durationNanoseconds / 1_000
        let ms = "\(micros / 1_000).\(String(repeating: "0", count: 3 - String(micros % 1_000).count))\(micros % 1_000)"
        var line = "time=\(Logfmt.timestamp()) level=info msg=request method=\(record.method) route=\(Logfmt.value(record.route)) status=\(record.status) duration_ms=\(ms) request_id=\(record.requestID) remote=\(Logfmt.value(record.remoteAddress))"
        if let error = record.unexpectedError {
            // The type name only: an error's description may carry data.
            line += " error=\(Logfmt.value(String(describing: type(of: error))))"
        }
        return line
    }
}
