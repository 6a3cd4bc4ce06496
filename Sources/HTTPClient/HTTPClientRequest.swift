/// One outbound request.
public struct HTTPClientRequest: Sendable {
    /// The method (RFC 9110 §9), e.g. `GET`, `POST`; any token is accepted, case kept.
    public var method: String
    /// An absolute `http` or `https` URL (see `host(of:)` for what is accepted).
    public var url: String
    /// Header fields in order. The transport sets `Host`, `Content-Length`, `Connection`, `Expect`, `TE`,
    /// `Transfer-Encoding`, `Upgrade`, `Keep-Alive` and `Trailer` itself, so a request naming one of them is refused.
    public var headers: [(name: String, value: String)]
    /// The body; sent with `Content-Length`. Must be empty for `GET` and `HEAD`. libcurl adds no `Content-Type`:
    /// set one when the body needs it.
    public var body: [UInt8]

    /// A request; `GET` with no headers and no body by default.
    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The host of an absolute `http` or `https` URL, lowercased, an IPv6 literal without its brackets; nil for
    /// anything else. Strict (RFC 3986 §3): scheme, `//`, a DNS name, canonical dotted-quad IPv4 or bracketed
    /// IPv6 (no zone), an optional port 1–65535, then only RFC 3986 characters. Userinfo (`user@`),
    /// shorthand IPv4 (`127.1`), percent-encoded or non-ASCII hosts and URLs over 8 KiB are refused.
    public static func host(of url: String) -> String? {
        guard case .success(let parsed) = RequestURL.parse(url) else { return nil }
        return parsed.host
    }
}
