/// Lifts what a developer or a test wants out of a message body: every http/https URL, every standalone
/// 6–8 digit number (SMS and email codes), every standalone `XXXX-XXXX` code of capitals and digits, and every
/// value after `token=`. Bounded by the body size limit.
package struct OutboxBodyScan {
    package private(set) var links: [String] = []
    package private(set) var codes: [String] = []

    package init(_ body: String) {
        let bytes = Array(body.utf8)
        var i = 0
        while i < bytes.count {
            if let end = Self.urlEnd(bytes, from: i) {
                Self.append(&links, bytes[i..<end])
                i = end
            } else {
                i += 1
            }
        }
        // Codes: a run of 6–8 digits not touching a letter, digit or `_`.
        i = 0
        while i < bytes.count {
            guard Self.isDigit(bytes[i]), i == 0 || !Self.isWordByte(bytes[i - 1]) else { i += 1; continue }
            var end = i
            while end < bytes.count, Self.isDigit(bytes[end]) { end += 1 }
            let length = end - i
            if (6...8).contains(length), end == bytes.count || !Self.isWordByte(bytes[end]) {
                Self.append(&codes, bytes[i..<end])
            }
            i = end
        }
        // Grouped codes: `XXXX-XXXX` of capital letters and digits (password change, desktop hand-over), not
        // touching a letter, digit, `_` or `-`.
        i = 0
        while i + 9 <= bytes.count {
            let candidate = bytes[i..<(i + 9)]
            let before = i == 0 ? nil : bytes[i - 1]
            let after = i + 9 < bytes.count ? bytes[i + 9] : nil
            if candidate[i + 4] == UInt8(ascii: "-"),
               candidate.enumerated().allSatisfy({ $0.offset == 4 || Self.isCapitalOrDigit($0.element) }),
               before.map({ !Self.isWordByte($0) && $0 != UInt8(ascii: "-") }) ?? true,
               after.map({ !Self.isWordByte($0) && $0 != UInt8(ascii: "-") }) ?? true {
                Self.append(&codes, candidate)
                i += 9
            } else {
                i += 1
            }
        }
        // Tokens: `token=<value>` in query strings or plain text.
        let marker = Array("token=".utf8)
        i = 0
        while i + marker.count <= bytes.count {
            guard bytes[i..<(i + marker.count)].elementsEqual(marker) else { i += 1; continue }
            var end = i + marker.count
            while end < bytes.count, Self.isTokenByte(bytes[end]) { end += 1 }
            let scanned = end
            // A sentence may end right after a token.
            while end > i + marker.count, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
            if end > i + marker.count { Self.append(&codes, bytes[(i + marker.count)..<end]) }
            i = scanned
        }
    }

    private static func append(_ list: inout [String], _ slice: ArraySlice<UInt8>) {
        let text = String(decoding: slice, as: UTF8.self)
        if !list.contains(text) { list.append(text) }
    }

    /// The end of a URL starting at `start`, or nil if none starts there. Trailing sentence punctuation is
    /// not part of the URL (`Open https://x/y.` → `https://x/y`).
    private static func urlEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        let prefixes = [Array("https://".utf8), Array("http://".utf8)]
        guard let prefix = prefixes.first(where: { p in
            start + p.count <= bytes.count && bytes[start..<(start + p.count)].elementsEqual(p)
        }) else { return nil }
        var end = start + prefix.count
        while end < bytes.count, isURLByte(bytes[end]) { end += 1 }
        while end > start + prefix.count, [UInt8](".,;:!?".utf8).contains(bytes[end - 1]) { end -= 1 }
        return end > start + prefix.count ? end : nil
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isCapitalOrDigit(_ b: UInt8) -> Bool { isDigit(b) || (b >= 0x41 && b <= 0x5A) }
    private static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    private static func isWordByte(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) || b == 0x5F }
    /// RFC 3986 unreserved plus `%` (percent-encoded tokens).
    private static func isTokenByte(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) || [UInt8]("-._~%".utf8).contains(b) }
    /// Printable ASCII minus the characters that usually delimit a URL in text (RFC 3986 Appendix C).
    private static func isURLByte(_ b: UInt8) -> Bool {
        b > 0x20 && b < 0x7F && ![UInt8]("<>\"'`()[]{}|\\^".utf8).contains(b)
    }
}
