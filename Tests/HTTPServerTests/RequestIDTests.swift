@testable import HTTPServer
import Testing

/// Request ids (`X-Request-Id`, the access log's `request_id`): lowercase hexadecimal of the loop's index and
/// counter, exactly as `String(_:radix:)` writes them.
@Suite struct RequestIDTests {
    @Test func hex_matchesRadix16_atEveryWidth() {
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 255, 256, 0xABCDEF, UInt64.max, UInt64.max - 1, 1 << 48, (1 << 48) | 1, 7 << 48 | 0xFFFF]
        for shift in 0..<64 { values.append(1 << UInt64(shift)); values.append((1 << UInt64(shift)) &- 1) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 { values.append(generator.next()) }
        for value in values {
            #expect(EventLoop.hex(value) == String(value, radix: 16), "\(value)")
        }
    }
}
