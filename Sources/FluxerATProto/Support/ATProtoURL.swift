/// A strictly parsed absolute `http(s)` URL: `scheme "://" host [":" port] [path] ["?" query] ["#" fragment]`
/// (RFC 3986 §3) with no user information, scheme and host lower-cased, and the default port dropped.
struct ATProtoURL: Sendable, Equatable, CustomStringConvertible {
    /// The longest URL accepted, in bytes.
    static let maxBytes = 2048

    let scheme: String
    /// A DNS name, an IPv4 address, or a bracketed IPv6 address (`[::1]`).
    let host: String
    let port: Int?
    /// Empty, or starting with "/".
    let path: String
    let query: String?
    let fragment: String?

    init?(_ text: String) {
        guard text.utf8.count <= Self.maxBytes,
              text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              let schemeEnd = text.firstRange(of: "://")
        else { return nil }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { return nil }
        var rest = Substring(text[schemeEnd.upperBound...])
        var fragment: String?
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        var query: String?
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = String(rest[authorityEnd...])
        guard !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Self.port(after.dropFirst()) else { return nil }
                port = p
            }
            guard host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), host.count > 2 else { return nil }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                guard let p = Self.port(authority[authority.index(after: colon)...]) else { return nil }
                port = p
                host = authority[..<colon]
            }
            guard !host.isEmpty, host.utf8.allSatisfy({ Self.isHostByte($0) }), !host.hasPrefix("."), !host.hasSuffix(".")
            else { return nil }
        }
        let defaultPort = scheme == "https" ? 443 : 80
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port == defaultPort ? nil : port
        self.path = path
        self.query = query
        self.fragment = fragment
    }

    private static func port(_ digits: Substring) -> Int? {
        guard !digits.isEmpty, digits.count <= 5, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int(digits), value >= 1, value <= 65535
        else { return nil }
        return value
    }

    private static func isHostByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E
    }

    /// `scheme://host[:port]` (RFC 6454 §6.2 serialization).
    var origin: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }

    /// The URL without query and fragment: the DPoP `htu` (RFC 9449 §4.2), and a base to append paths to.
    var withoutQuery: String { origin + path }

    /// `withoutQuery` with any trailing "/" removed, so `base.appending("/x")` never doubles a slash.
    var base: String { path.hasSuffix("/") ? String(withoutQuery.dropLast()) : withoutQuery }

    /// True for `localhost`, `127.0.0.0/8` and `[::1]`: hosts tests and development stacks use.
    var isLoopback: Bool {
        host == "localhost" || host == "[::1]" || (host.hasPrefix("127.") && host.split(separator: ".").count == 4
            && host.split(separator: ".").allSatisfy { UInt8($0) != nil })
    }

    var description: String {
        withoutQuery + (query.map { "?\($0)" } ?? "") + (fragment.map { "#\($0)" } ?? "")
    }
}

/// Which URLs the client talks to. The atproto OAuth specification wants `https` origins for authorization servers
/// and PDSes; loopback hosts (and the origins a development configuration names) may also use `http` and carry a
/// path, so a whole stack — the built-in mock mounted under `/_dev/atproto` — runs on one port.
struct ATProtoURLPolicy: Sendable {
    /// Origins (`scheme://host[:port]`) treated like loopback.
    var developmentOrigins: Set<String> = []

    func isDevelopment(_ url: ATProtoURL) -> Bool {
        url.isLoopback || developmentOrigins.contains(url.origin)
    }

    /// An endpoint the client may call: `https`, or `http` on a development host; never a fragment.
    func allowsEndpoint(_ url: ATProtoURL) -> Bool {
        url.fragment == nil && (url.scheme == "https" || isDevelopment(url))
    }

    /// A server identifier (issuer, PDS, service): an allowed endpoint with no query, and no path except on a
    /// development host (atproto OAuth, "Authorization Server Metadata": the issuer is an origin).
    func allowsServer(_ url: ATProtoURL) -> Bool {
        allowsEndpoint(url) && url.query == nil && (url.path.isEmpty || url.path == "/" || isDevelopment(url))
    }

    /// Parses `text` and applies `allowsServer`; the normalized base (no trailing slash).
    func server(_ text: String) -> ATProtoURL? {
        guard let url = ATProtoURL(text), allowsServer(url) else { return nil }
        return url.path == "/" ? ATProtoURL(url.origin) : url
    }
}
