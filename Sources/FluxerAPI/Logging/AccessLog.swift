#if canImport(Glibc)
import Glibc
#endif
import HTTPServer

/// Formats one access-log line per request: method, route pattern, status, duration, request id, peer.
/// Never the raw path, query string, headers or body (tokens and codes travel there). Built byte by byte into
/// one buffer, with no intermediate strings: this runs on the event loop for every request.
package enum AccessLog {
    package static func line(_ record: RequestLogRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        append(record, to: &out)
        return out
    }

    /// Appends the line for `record` (without the newline) to `out`.
    package static func append(_ record: RequestLogRecord, to out: inout [UInt8]) {
        append(&out, "time=")
        appendTimestamp(&out)
        append(&out, " level=info msg=request method=")
        appendValue(&out, record.method)
        append(&out, " route=")
        appendValue(&out, record.route)
        append(&out, " status=")
        appendDigits(&out, UInt64(max(0, record.status)), width: 1)
        append(&out, " duration_ms=")
        let micros = record.durationNanoseconds / 1_000
        appendDigits(&out, micros / 1_000, width: 1)
        out.append(UInt8(ascii: "."))
        appendDigits(&out, micros % 1_000, width: 3)
        append(&out, " request_id=")
        appendValue(&out, record.requestID)
        append(&out, " remote=")
        appendValue(&out, record.remoteAddress)
        if let error = record.unexpectedError {
            // The type name only: an error's description may carry data.
            append(&out, " error=")
            appendValue(&out, String(describing: type(of: error)))
        }
    }

    /// Appends the line for `record` as one JSON object (`log.format = "json"`): the same fields in the same
    /// order, `status` and `duration_ms` as numbers.
    package static func appendJSON(_ record: RequestLogRecord, to out: inout [UInt8]) {
        append(&out, "{\"time\":\"")
        appendTimestamp(&out)
        append(&out, "\",\"level\":\"info\",\"msg\":\"request\",\"method\":")
        JSONLog.appendString(&out, record.method)
        append(&out, ",\"route\":")
        JSONLog.appendString(&out, record.route)
        append(&out, ",\"status\":")
        appendDigits(&out, UInt64(max(0, record.status)), width: 1)
        append(&out, ",\"duration_ms\":")
        let micros = record.durationNanoseconds / 1_000
        appendDigits(&out, micros / 1_000, width: 1)
        out.append(UInt8(ascii: "."))
        appendDigits(&out, micros % 1_000, width: 3)
        append(&out, ",\"request_id\":")
        JSONLog.appendString(&out, record.requestID)
        append(&out, ",\"remote\":")
        JSONLog.appendString(&out, record.remoteAddress)
        if let error = record.unexpectedError {
            append(&out, ",\"error\":")
            JSONLog.appendString(&out, String(describing: type(of: error)))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends the line for `record` in `format`.
    package static func append(_ record: RequestLogRecord, format: LogFormat, to out: inout [UInt8]) {
        switch format {
        case .text: append(record, to: &out)
        case .json: appendJSON(record, to: &out)
        }
    }

    private static func append(_ out: inout [UInt8], _ s: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A logfmt value: copied as is when it needs no quotes (the usual case), else through `Logfmt.value`.
    private static func appendValue(_ out: inout [UInt8], _ s: String) {
        var s = s
        let copied = s.withUTF8 { bytes -> Bool in
            guard !bytes.isEmpty, !bytes.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if !copied {
            var quoted = Logfmt.value(s)
            quoted.withUTF8 { out.append(contentsOf: $0) }
        }
    }

    /// `value` in decimal, zero-padded to `width` digits, with no temporary array.
    package static func appendDigits(_ out: inout [UInt8], _ value: UInt64, width: Int) {
        var count = 1
        var n = value / 10
        while n > 0 { count += 1; n /= 10 }
        for _ in count..<max(width, count) { out.append(0x30) }
        let start = out.count
        for _ in 0..<count { out.append(0x30) }
        var v = value
        var i = start + count - 1
        repeat {
            out[i] = UInt8(0x30 + v % 10)
            v /= 10
            i -= 1
        } while v > 0
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T08:21:49.912Z`. The calendar date comes from the day
    /// number by integer arithmetic (proleptic Gregorian, days-from-civil inverted), not `gmtime_r`.
    private static func appendTimestamp(_ out: inout [UInt8]) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let c = civil(seconds: Int64(ts.tv_sec))
        appendDigits(&out, UInt64(c.year), width: 4)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, UInt64(c.month), width: 2)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, UInt64(c.day), width: 2)
        out.append(UInt8(ascii: "T"))
        appendDigits(&out, UInt64(c.hour), width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, UInt64(c.minute), width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, UInt64(c.second), width: 2)
        out.append(UInt8(ascii: "."))
        appendDigits(&out, UInt64(ts.tv_nsec / 1_000_000), width: 3)
        out.append(UInt8(ascii: "Z"))
    }

    /// UTC calendar fields of a Unix time (seconds ≥ 0), by the civil-from-days algorithm over 400-year eras.
    package static func civil(seconds: Int64) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468                       // days since 0000-03-01
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097             // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // from March 1
        let mp = (5 * dayOfYear + 2) / 153           // March = 0
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3_600, secondOfDay % 3_600 / 60, secondOfDay % 60)
    }
}
