@testable import HTTPServer
import Testing

/// The parser's character classes are constant bit masks; each is rebuilt here from its RFC definition and
/// compared on all 256 byte values, so a mistyped mask cannot slip through.
@Suite struct ByteClassesTests {
    static func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func check(_ set: ByteSet, _ definition: (UInt8) -> Bool) {
        for b in 0...255 {
            #expect(set.contains(UInt8(b)) == definition(UInt8(b)), "byte \(b)")
            #expect(set[b] == definition(UInt8(b)), "byte \(b)")
        }
    }

    /// RFC 9110 §5.6.2 tchar.
    @Test func tchar() {
        Self.check(ByteClasses.tchar) { b in Self.isAlpha(b) || Self.isDigit(b) || "!#$%&'*+-.^_`|~".utf8.contains(b) }
    }

    /// RFC 3986 §2: unreserved, gen-delims but "#", sub-delims, "%".
    @Test func targetChar() {
        Self.check(ByteClasses.targetChar) { b in Self.isAlpha(b) || Self.isDigit(b) || "-._~:/?[]@!$&'()*+,;=%".utf8.contains(b) }
    }

    /// RFC 3986 §3.2.2: reg-name, IPv4, IP-literal and ":" port.
    @Test func hostChar() {
        Self.check(ByteClasses.hostChar) { b in Self.isAlpha(b) || Self.isDigit(b) || "-._~!$&'()*+;=:[]%".utf8.contains(b) }
    }

    /// RFC 9110 §5.5 field-vchar, SP and HTAB; obs-text refused.
    @Test func fieldValueChar() {
        Self.check(ByteClasses.fieldValueChar) { b in (b >= 0x21 && b <= 0x7E) || b == 0x20 || b == 0x09 }
    }
}
