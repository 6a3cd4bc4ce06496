#if canImport(Glibc)
import Glibc
#endif
@testable import FluxerAPI
@testable import FluxerApp
@testable import HTTPServer
import Testing

/// The access-log formatter is hand-rolled for speed; these pin it to the C library and to logfmt.
@Suite struct AccessLogTests {
    /// The integer calendar conversion agrees with gmtime_r on boundaries and on many spread-out times.
    @Test func civilMatchesGmtime() {
        var samples: [Int64] = [0, 59, 60, 86_399, 86_400, 951_782_399, 951_782_400, 951_868_800,  // 2000-02-28/29, 03-01
                                1_709_164_800, 4_107_542_400, 4_107_628_800, 253_402_300_799]  // 2024-02-29, 2100-02-28/03-01, 9999-12-31
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Int64(x >> 33) % 253_402_300_800)
        }
        for s in samples {
            var t = time_t(s)
            var tm = tm()
            gmtime_r(&t, &tm)
            let c = AccessLog.civil(seconds: s)
            #expect(c.year == Int64(tm.tm_year) + 1900 && c.month == Int64(tm.tm_mon) + 1 && c.day == Int64(tm.tm_mday), "\(s)")
            #expect(c.hour == Int64(tm.tm_hour) && c.minute == Int64(tm.tm_min) && c.second == Int64(tm.tm_sec), "\(s)")
        }
    }

    @Test func digitsArePadded() {
        for (value, width, text) in [(UInt64(0), 1, "0"), (7, 3, "007"), (12, 2, "12"), (123, 2, "123"), (2026, 4, "2026"),
                                     (UInt64.max, 1, "18446744073709551615")] {
            var out: [UInt8] = Array("x".utf8)
            AccessLog.appendDigits(&out, value, width: width)
            #expect(String(decoding: out, as: UTF8.self) == "x" + text)
        }
    }

    /// One logfmt line: fields in order, values needing it quoted, and nothing but what the record holds.
    @Test func lineShape() {
        let record = RequestLogRecord(method: "GET", route: "/users/@me", status: 401, durationNanoseconds: 1_234_567,
                                      requestID: "1a2b", remoteAddress: "127.0.0.1", unexpectedError: nil)
        let line = String(decoding: AccessLog.line(record), as: UTF8.self)
        let pattern = #/^time=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z level=info msg=request method=GET route=/users/@me status=401 duration_ms=1\.234 request_id=1a2b remote=127\.0\.0\.1$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")

        let odd = RequestLogRecord(method: "-", route: "a b=\"c\"", status: 400, durationNanoseconds: 5_000,
                                   requestID: "", remoteAddress: "::1", unexpectedError: nil)
        let oddLine = String(decoding: AccessLog.line(odd), as: UTF8.self)
        #expect(oddLine.contains(#" route="a b=\"c\"" status=400 duration_ms=0.005 request_id="" remote=::1"#), "\(oddLine)")
    }

    /// The line is built in a scratch buffer sized from the record: long values needing quotes, the error's type
    /// name and the largest numbers come out whole, after what `out` already held.
    @Test func longValues_errorType_largeNumbers_whole() {
        struct SomeFailure: Error {}
        let route = String(repeating: "a b", count: 2_000)
        let record = RequestLogRecord(method: "PATCH", route: route, status: 599, durationNanoseconds: UInt64.max,
                                      requestID: String(repeating: "f", count: 300), remoteAddress: "2001:db8::1",
                                      unexpectedError: SomeFailure())
        var out = Array("previous\n".utf8)
        AccessLog.append(record, to: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasPrefix("previous\ntime="))
        #expect(text.contains(" method=PATCH route=\"\(route)\" status=599 duration_ms=18446744073709.551 request_id=\(String(repeating: "f", count: 300)) remote=2001:db8::1 error=SomeFailure"), "\(text.suffix(200))")
        #expect(text.hasSuffix("error=SomeFailure"))
    }

    /// The timestamp is now, in UTC, each number in its place (compared with gmtime_r around the call).
    @Test func timestampIsNowInUTC() {
        func stamp(_ seconds: time_t) -> String {
            var t = seconds
            var parts = tm()
            gmtime_r(&t, &parts)
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        }
        let record = RequestLogRecord(method: "GET", route: "/", status: 200, durationNanoseconds: 0, requestID: "1",
                                      remoteAddress: "127.0.0.1", unexpectedError: nil)
        // The log reads CLOCK_REALTIME; glibc's time() reads the coarse clock, up to a tick behind, so just after a
        // second boundary time() would still give the second before: read the log's own clock around the call.
        func now() -> time_t {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            return ts.tv_sec
        }
        let before = now()
        let line = String(decoding: AccessLog.line(record), as: UTF8.self)
        let after = now()
        let logged = String(line.dropFirst("time=".count).prefix(19))
        #expect(logged == stamp(before) || logged == stamp(after), "\(line)")
        #expect(line.dropFirst("time=".count + 19).hasPrefix("."), "\(line)")
    }
}
