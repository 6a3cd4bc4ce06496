@testable import FluxerATProto
import Testing

@Suite struct ATProtoURLTests {
    @Test func parse_splitsAndNormalizes() throws {
        let url = try #require(ATProtoURL("HTTPS://Bsky.Social:443/xrpc/x?a=1#frag"))
        #expect(url.scheme == "https")
        #expect(url.host == "bsky.social")
        #expect(url.port == nil)
        #expect(url.path == "/xrpc/x")
        #expect(url.query == "a=1")
        #expect(url.fragment == "frag")
        #expect(url.origin == "https://bsky.social")
        #expect(url.withoutQuery == "https://bsky.social/xrpc/x")
        #expect(url.description == "https://bsky.social/xrpc/x?a=1#frag")
    }

    @Test func parse_keepsNonDefaultPortsAndIPv6() throws {
        #expect(ATProtoURL("http://127.0.0.1:8080/_dev/atproto/")?.base == "http://127.0.0.1:8080/_dev/atproto")
        #expect(ATProtoURL("http://[::1]:9000")?.origin == "http://[::1]:9000")
        #expect(ATProtoURL("http://[::1]:9000")?.isLoopback == true)
        #expect(ATProtoURL("http://localhost:1/")?.isLoopback == true)
        #expect(ATProtoURL("http://127.1.2.3/")?.isLoopback == true)
        #expect(ATProtoURL("http://127.example.com/")?.isLoopback == false)
        #expect(ATProtoURL("https://bsky.social")?.isLoopback == false)
    }

    @Test(arguments: ["ftp://x.com", "https://", "https://user@x.com", "https://x.com:0", "https://x.com:65536", "https://x.com:",
                      "https://x .com", "https://x.com/a b", "https://[::1", "https://.x.com", "https://x_y.com", "x.com", "https://x.com:8a"])
    func parse_refusesMalformed(_ text: String) {
        #expect(ATProtoURL(text) == nil)
    }

    @Test func parse_refusesOverLimit() {
        let base = "https://x.com/"
        #expect(ATProtoURL(base + String(repeating: "a", count: ATProtoURL.maxBytes - base.count)) != nil)
        #expect(ATProtoURL(base + String(repeating: "a", count: ATProtoURL.maxBytes - base.count + 1)) == nil)
    }

    @Test func policy_allowsHTTPAndPathsOnlyOnDevelopmentHosts() {
        let policy = ATProtoURLPolicy(developmentOrigins: ["http://devbox:8080"])
        #expect(policy.server("https://bsky.social") != nil)
        #expect(policy.server("https://bsky.social/")?.description == "https://bsky.social")
        #expect(policy.server("http://bsky.social") == nil)
        #expect(policy.server("https://bsky.social/path") == nil)
        #expect(policy.server("https://bsky.social?x=1") == nil)
        #expect(policy.server("http://127.0.0.1:8080/_dev/atproto") != nil)
        #expect(policy.server("http://devbox:8080/_dev/atproto") != nil)
        #expect(policy.server("http://devbox:8081/_dev/atproto") == nil)
        #expect(policy.allowsEndpoint(ATProtoURL("https://bsky.social/oauth/par")!))
        #expect(!policy.allowsEndpoint(ATProtoURL("https://bsky.social/oauth/par#x")!))
    }

    @Test func form_roundTripsAndEscapes() {
        let encoded = FormEncoding.encode([("a b", "c&d=e"), ("uri", "https://x.com/?q=1"), ("ü", "~._-")])
        #expect(encoded == "a%20b=c%26d%3De&uri=https%3A%2F%2Fx.com%2F%3Fq%3D1&%C3%BC=~._-")
        let decoded = FormEncoding.decode(encoded)
        #expect(decoded?.map(\.0) == ["a b", "uri", "ü"])
        #expect(decoded?.map(\.1) == ["c&d=e", "https://x.com/?q=1", "~._-"])
        #expect(FormEncoding.decode("a=1+2&b")?.map(\.1) == ["1 2", ""])
        #expect(FormEncoding.decode("a=%zz") == nil)
        #expect(FormEncoding.decode("a=%C3") == nil)
    }
}
