#if canImport(Glibc)
import Synchronization
import Glibc
#endif

/// The key that stands for one client in per-client limits (connections here, rate limits above). An IPv4
/// address is one client. An IPv6 address is keyed by its /64: one subscriber is routinely given a whole /64
/// (RFC 6177 §2, RFC 7381 §4.1), so keying by the full address would hand an attacker 2^64 budgets. An IPv4
/// address in IPv6 form (`::ffff:a.b.c.d`, a dual-stack socket) is that IPv4 address.
public enum ClientKey {
    /// The longest key kept for text that is not an IP literal (a Unix socket path, an empty peer).
    static let maxVerbatimBytes = 64

    /// `address` (a textual IPv4 or IPv6 literal, brackets and a zone allowed) as its client key; text that is
    /// not an IP literal is its own key, cut to `maxVerbatimBytes`.
    public static func of(_ address: String) -> String {
        let verbatim = address.utf8.count <= maxVerbatimBytes ? address : String(decoding: address.utf8.prefix(maxVerbatimBytes), as: UTF8.self)
        // No colon: IPv4 (or not an address at all), kept as it is; the common case costs one scan.
        guard address.utf8.contains(UInt8(ascii: ":")) else { return verbatim }
        var literal = Substring(address)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        if let zone = literal.firstIndex(of: "%") { literal = literal[..<zone] }
        guard literal.utf8.count <= 45 else { return verbatim }
        var raw = in6_addr()
        guard inet_pton(AF_INET6, String(literal), &raw) == 1 else { return verbatim }
        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
        }
        var text = ""
        for group in 0..<4 {
            let value = UInt16(bytes[group * 2]) << 8 | UInt16(bytes[group * 2 + 1])
            text += String(value, radix: 16) + ":"
        }
        return text + ":/64"
    }
}

/// Open connections per `ClientKey`, shared by every event loop (checklist H31: a cap per IP beside the global
/// one, so one address cannot take every connection slot).
final class ConnectionsByClient: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts a new connection from `key`; false (and nothing counted) when `key` already holds `cap`.
    func open(_ key: String, cap: Int) -> Bool {
        counts.withLock { counts in
            let current = counts[key, default: 0]
            guard current < cap else { return false }
            counts[key] = current + 1
            return true
        }
    }

    /// Forgets one connection from `key`.
    func close(_ key: String) {
        counts.withLock { counts in
            let left = counts[key, default: 1] - 1
            counts[key] = left > 0 ? left : nil
        }
    }

    /// Connections open from `key` now.
    func count(_ key: String) -> Int { counts.withLock { $0[key, default: 0] } }
}
