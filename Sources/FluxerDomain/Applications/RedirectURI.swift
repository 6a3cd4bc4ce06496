/// Redirect URI rules (RFC 6749 §3.1.2, RFC 9700 §2.1): absolute, no fragment, https, or http only on a
/// loopback host (RFC 8252 §7.3); compared by exact string match at authorization time.
package enum RedirectURI {
    package static let maxBytes = 2048

    /// The registered URI that `requested` designates: exact string match (AZ-01), except that a registered
    /// `http://127.0.0.1/…` or `http://[::1]/…` also matches the same URI with any port (RFC 8252 §7.3, AZ-02).
    package static func match(_ requested: String, registered: [String]) -> String? {
        if registered.contains(requested) { return requested }
        for uri in registered {
            for host in ["http://127.0.0.1", "http://[::1]"] where uri.hasPrefix(host) && requested.hasPrefix(host + ":") {
                let registeredRest = uri.dropFirst(host.count)
                guard registeredRest.isEmpty || registeredRest.hasPrefix("/") || registeredRest.hasPrefix("?") else { continue }
                let afterColon = requested.dropFirst(host.count + 1)
                let port = afterColon.prefix { $0.isASCII && $0.isNumber }
                guard !port.isEmpty, port.count <= 5, let n = Int(port), n > 0, n <= 65535 else { continue }
                if afterColon.dropFirst(port.count) == registeredRest { return requested }
            }
        }
        return nil
    }

    package static func isAllowedForRegistration(_ uri: String) -> Bool {
        guard !uri.isEmpty, uri.utf8.count <= maxBytes,
              uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !uri.contains("#")
        else { return false }
        let lower = uri.lowercased()
        let isHTTPS = lower.hasPrefix("https://")
        guard isHTTPS || lower.hasPrefix("http://") else { return false }
        let rest = uri.dropFirst(isHTTPS ? 8 : 7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard !authority.isEmpty, !authority.contains("@"), let host = hostOf(authority) else { return false }
        if isHTTPS { return !host.isEmpty }
        return ["localhost", "127.0.0.1", "[::1]"].contains(host.lowercased())
    }

    /// The host of `host[:port]` or `[v6][:port]`, if the port (when present) is digits.
    private static func hostOf(_ authority: Substring) -> String? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let inside = authority[authority.index(after: authority.startIndex)..<close]
            guard inside.contains(":"), inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            let host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return host }
            guard after.hasPrefix(":"), after.count > 1, after.count <= 6, after.dropFirst().allSatisfy(\.isNumber) else { return nil }
            return host
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { return nil }
        if parts.count == 2 { guard !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber), parts[1].count <= 5 else { return nil } }
        return String(parts[0])
    }
}

