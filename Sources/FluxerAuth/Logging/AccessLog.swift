#if canImport(Glibc)
import Glibc
#endif
import HTTPServer

/// Formats one access-log line per request: method, route pattern, status, duration, request id, peer.
/// Never the raw path, query string, headers or body (tokens and codes travel there). Built byte by byte: this
/// runs on the event loop for every request.
enum AccessLog {
    static func line(_ record: RequestLogRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(200)
        append(&out, "time=")
        appendTimestamp(&out)
        append(&out, " level=info msg=request method=")
        append(&out, record.method)
        append(&out, " route=")
        append(&out, Logfmt.value(record.route))
        append(&out, " status=")
        appendDigits(&out, UInt64(max(0, record.status)), width: 1)
        append(&out, " duration_ms=")
        let micros = record.durationNanoseconds / 1_000
        appendDigits(&out, micros / 1_000, width: 1)
        out.append(UInt8(ascii: "."))
        appendDigits(&out, micros % 1_000, width: 3)
        append(&out, " request_id=")
        append(&out, record.requestID)
        append(&out, " remote=")
        append(&out, Logfmt.value(record.remoteAddress))
        if let error = record.unexpectedError {
            // The type name only: an error's description may carry data.
            append(&out, " error=")
            append(&out, Logfmt.value(String(describing: type(of: error))))
        }
        return out
    }

    private static func append(_ out: inout [UInt8], _ s: String) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    private static func appendDigits(_ out: inout [UInt8], _ value: UInt64, width: Int) {
        var digits: [UInt8] = []
        var n = value
        repeat {
            digits.append(UInt8(0x30 + n % 10))
            n /= 10
        } while n > 0
        for _ in digits.count..<max(width, digits.count) { out.append(0x30) }
        out.append(contentsOf: digits.reversed())
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T08:21:49.912Z`.
    private static func appendTimestamp(_ out: inout [UInt8]) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = tm()
        gmtime_r(&t, &tm)
        appendDigits(&out, UInt64(tm.tm_year + 1900), width: 4)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, UInt64(tm.tm_mon + 1), width: 2)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, UInt64(tm.tm_mday), width: 2)
        out.append(UInt8(ascii: "T"))
        appendDigits(&out, UInt64(tm.tm_hour), width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, UInt64(tm.tm_min), width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, UInt64(tm.tm_sec), width: 2)
        out.append(UInt8(ascii: "."))
        appendDigits(&out, UInt64(ts.tv_nsec / 1_000_000), width: 3)
        out.append(UInt8(ascii: "Z"))
    }
}
