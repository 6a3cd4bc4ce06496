@testable import HTTPClient
import Testing

/// `HTTPClientRequest.host(of:)` and the strict parser behind it (RFC 3986 §3).
@Suite struct RequestURLTests {
    @Test(arguments: [
        ("https://example.com", "example.com"),
        ("https://example.com/", "example.com"),
        ("HTTPS://Example.COM:8443/a/b?c=d&e=%2F#frag", "example.com"),
        ("http://127.0.0.1:8080/x", "127.0.0.1"),
        ("https://[::1]:443/", "::1"),
        ("https://[2001:DB8::1]/.well-known/openid-configuration", "2001:db8::1"),
        ("https://[::ffff:1.2.3.4]", "::ffff:1.2.3.4"),
        ("https://plc.directory/did:plc:abc123", "plc.directory"),
        ("https://bsky.social/xrpc/com.atproto.server.describeServer?x=@a:b!$&'()*+,;=", "bsky.social"),
        ("https://a_b.example-1.com?q", "a_b.example-1.com"),
        ("https://1.2.3.4.example.com/", "1.2.3.4.example.com"),
        ("https://255.255.255.255/", "255.255.255.255"),
    ])
    func host_accepted(url: String, host: String) {
        #expect(HTTPClientRequest.host(of: url) == host)
    }

    @Test(arguments: [
        "", "example.com", "//example.com/", "https:example.com", "http:/example.com", "https://", "https:///path",
        "ftp://example.com/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)",
        "https://user@example.com/", "https://user:pw@example.com/", "https://@example.com/",
        "https://example.com:", "https://example.com:0/", "https://example.com:65536/", "https://example.com:080/",
        "https://example.com:8a/", "https://example.com:123456/",
        "https://[::1", "https://::1/", "https://[::1]x/", "https://[fe80::1%25eth0]/", "https://[v1.fe]/",
        "https://[127.0.0.1]/",
        "https://127.1/", "https://0x7f.0.0.1/", "https://2130706433/", "https://0177.0.0.1/", "https://127.0.0.01/",
        "https://256.1.1.1/", "https://1.2.3.4.5/", "https://example.0x10/",
        "https://exa mple.com/", "https://example.com/a b", "https://example.com/a\\b", "https://example.com\\@evil/",
        "https://ex%41mple.com/", "https://exämple.com/", "https://example.com/ä", "https://example.com/%zz",
        "https://example.com/%4", "https://example.com/a#b#c", "https://example.com/<script>",
        "https://example.com./", "https://-a.example.com/", "https://a-.example.com/", "https://a..b/",
        "https://.example.com/", "https://example.com/\r\nHost: evil", "https://example.com/\u{0}",
    ])
    func host_refused(url: String) {
        #expect(HTTPClientRequest.host(of: url) == nil)
    }

    @Test func scheme_refusalIsDistinguished() {
        #expect(RequestURL.parse("ftp://example.com/") == .failure(.scheme))
        #expect(RequestURL.parse("HtTpS://example.com/").map(\.isTLS) == .success(true))
        #expect(RequestURL.parse("http://example.com/").map(\.isTLS) == .success(false))
        #expect(RequestURL.parse("https://user@example.com/") == .failure(.invalid))
    }

    @Test func port_parsed() {
        #expect(RequestURL.parse("https://example.com:1/").map(\.port) == .success(1))
        #expect(RequestURL.parse("https://example.com:65535/").map(\.port) == .success(65535))
        #expect(RequestURL.parse("https://example.com/").map(\.port) == .success(nil))
    }

    /// RequestURL.maxBytes at the limit and one over.
    @Test func length_atLimitAndOver() {
        let prefix = "https://example.com/"
        let atLimit = prefix + String(repeating: "a", count: RequestURL.maxBytes - prefix.utf8.count)
        #expect(HTTPClientRequest.host(of: atLimit) == "example.com")
        #expect(HTTPClientRequest.host(of: atLimit + "a") == nil)
    }

    /// RFC 1035 §2.3.4: 63 octets per label, 253 per name.
    @Test func labelAndNameLength_atLimitAndOver() {
        let label63 = String(repeating: "a", count: RequestURL.maxLabelBytes)
        #expect(HTTPClientRequest.host(of: "https://\(label63).com/") != nil)
        #expect(HTTPClientRequest.host(of: "https://\(label63)a.com/") == nil)
        let name253 = [String](repeating: String(repeating: "b", count: 49), count: 5).joined(separator: ".") + ".abc"
        #expect(name253.utf8.count == RequestURL.maxHostBytes)
        #expect(HTTPClientRequest.host(of: "https://\(name253)/") == name253)
        #expect(HTTPClientRequest.host(of: "https://\(name253)e/") == nil)
    }
}
