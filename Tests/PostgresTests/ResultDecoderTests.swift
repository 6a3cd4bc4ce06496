@testable import Postgres
import Testing

@Suite struct ResultDecoderTests {
    private func bytea(_ text: String) -> [UInt8]? {
        Array(text.utf8).withUnsafeBytes { ResultDecoder.decodeBytea($0) }
    }

    @Test func hexFormat() {
        #expect(bytea("\\x") == [])
        #expect(bytea("\\x00ff7Fa0") == [0x00, 0xFF, 0x7F, 0xA0])
        #expect(bytea("\\x0") == nil)
        #expect(bytea("\\xzz") == nil)
    }

    /// The escape format a server with `bytea_output = escape` sends (PostgreSQL docs §8.4.2).
    @Test func escapeFormat() {
        #expect(bytea("a\\000\\\\b") == [0x61, 0x00, 0x5C, 0x62])
        #expect(bytea("\\377") == [0xFF])
        #expect(bytea("\\400") == nil)
        #expect(bytea("\\01") == nil)
    }
}
