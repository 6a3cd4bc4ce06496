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

    /// Appends the line for `record` (without the newline) to `out`: built in one scratch buffer and appended at
    /// once (see `ByteWriter`).
    package static func append(_ record: RequestLogRecord, to out: inout [UInt8]) {
        let method = logfmtValue(record.method), route = logfmtValue(record.route)
        let requestID = logfmtValue(record.requestID), remote = logfmtValue(record.remoteAddress)
        // The type name only: an error's description may carry data.
        let error = record.unexpectedError.map { logfmtValue(String(describing: type(of: $0))) }
        // Fixed text and numbers at their longest (20 digits each) come to 159 bytes.
        let bound = 192 + method.utf8.count + route.utf8.count + requestID.utf8.count + remote.utf8.count + (error?.utf8.count ?? 0)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { scratch in
            var line = ByteWriter(scratch.baseAddress!)
            line.put("time=")
            writeTimestamp(&line)
            line.put(" level=info msg=request method=")
            line.put(contentsOf: method)
            line.put(" route=")
            line.put(contentsOf: route)
            line.put(" status=")
            line.decimal(UInt64(max(0, record.status)))
            line.put(" duration_ms=")
            let micros = record.durationNanoseconds / 1_000
            line.decimal(micros / 1_000)
            line.byte(UInt8(ascii: "."))
            line.decimal(micros % 1_000, width: 3)
            line.put(" request_id=")
            line.put(contentsOf: requestID)
            line.put(" remote=")
            line.put(contentsOf: remote)
            if let error {
                line.put(" error=")
                line.put(contentsOf: error)
            }
            precondition(line.count <= bound, "access log line bound")
            out.append(contentsOf: line.written)
        }
    }

    /// A logfmt value: the string itself when it needs no quotes (the usual case), else `Logfmt.value`'s quoting.
    private static func logfmtValue(_ s: String) -> String {
        var s = s
        let plain = s.withUTF8 { bytes in
            !bytes.isEmpty && !bytes.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F })
        }
        return plain ? s : Logfmt.value(s)
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

    /// `value` in decimal, zero-padded to `width` digits (at most 20): `ByteWriter.decimal` into a stack buffer,
    /// appended at once.
    package static func appendDigits(_ out: inout [UInt8], _ value: UInt64, width: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var digits = ByteWriter(scratch.baseAddress!)
            digits.decimal(value, width: width)
            out.append(contentsOf: digits.written)
        }
    }

    /// The timestamp's fixed characters; `writeTimestamp` puts each number in its place.
    private static let timestampTemplate: StaticString = "0000-00-00T00:00:00.000Z"

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T08:21:49.912Z` (`writeTimestamp` into a stack buffer,
    /// appended at once).
    private static func appendTimestamp(_ out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampTemplate.utf8CodeUnitCount) { scratch in
            var stamp = ByteWriter(scratch.baseAddress!)
            writeTimestamp(&stamp)
            out.append(contentsOf: stamp.written)
        }
    }

    /// The timestamp, written in place: the template's fixed characters, then each number in its place. The
    /// calendar date comes from the day number by integer arithmetic (proleptic Gregorian, days-from-civil
    /// inverted), not `gmtime_r`.
    private static func writeTimestamp(_ w: inout ByteWriter) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let c = civil(seconds: Int64(ts.tv_sec))
        let start = w.count
        w.put(timestampTemplate)
        @inline(__always) func put(_ value: Int64, at offset: Int, width: Int) {
            var v = value
            var i = start + offset + width
            while i > start + offset {
                i -= 1
                w.base[i] = UInt8(truncatingIfNeeded: 0x30 &+ v % 10)
                v /= 10
            }
        }
        put(c.year, at: 0, width: 4)
        put(c.month, at: 5, width: 2)
        put(c.day, at: 8, width: 2)
        put(c.hour, at: 11, width: 2)
        put(c.minute, at: 14, width: 2)
        put(c.second, at: 17, width: 2)
        put(Int64(ts.tv_nsec / 1_000_000), at: 20, width: 3)
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
