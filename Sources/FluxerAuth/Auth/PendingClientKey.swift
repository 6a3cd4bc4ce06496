/// The key that counts one client against the caps on what it may hold pending without authentication (SSO
/// sign-ins, passkey challenges): an IPv4 address as it is, an IPv6 address by its /64 (one subscriber is
/// routinely given a whole /64, so a per-address cap would be no cap). An IPv4-mapped IPv6 address counts as
/// its IPv4 address; anything that does not parse is its own key.
/// (Local to these caps until the shared per-IP key of the rate limits lands; then one of the two goes.)
enum PendingClientKey {
    static func of(_ address: String) -> String {
        var text = Substring(address)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        guard text.contains(":"), let groups = ipv6Groups(text) else { return address }
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return "\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
        }
        return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 literal (RFC 4291 §2.2: `::` once, an IPv4 tail), or nil.
    static func ipv6Groups(_ text: Substring) -> [UInt16]? {
        guard text.utf8.count <= 45 else { return nil }
        // Split at the one `::`, if any (a second one is refused below, as an empty group).
        let bytes = Array(text.utf8)
        var halves = [String(text)]
        if let i = bytes.indices.dropLast().first(where: { bytes[$0] == 0x3A && bytes[$0 + 1] == 0x3A }) {
            halves = [String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 2)...], as: UTF8.self)]
        }
        func parse(_ part: String, last: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, piece) in pieces.enumerated() {
                if last && i == pieces.count - 1 && piece.contains(".") {
                    let octets = piece.split(separator: ".", omittingEmptySubsequences: false)
                    guard octets.count == 4 else { return nil }
                    var bytes: [UInt16] = []
                    for octet in octets {
                        guard (1...3).contains(octet.count), octet.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt16(octet), v <= 255
                        else { return nil }
                        bytes.append(v)
                    }
                    out += [bytes[0] << 8 | bytes[1], bytes[2] << 8 | bytes[3]]
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), let v = UInt16(piece, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        if halves.count == 1 {
            guard let all = parse(halves[0], last: true), all.count == 8 else { return nil }
            return all
        }
        guard let head = parse(halves[0], last: false), let tail = parse(halves[1], last: true), head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
