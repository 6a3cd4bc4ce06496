import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// Redirect URI registration rules and application name validation.
@Suite struct RedirectURITests {
    @Test(arguments: [
        "https://example.com/cb", "https://example.com", "https://example.com:8443/a/b?x=1&y=2",
        "https://EXAMPLE.com/Path", "HTTPS://example.com/", "https://[2001:db8::1]/cb", "https://[2001:db8::1]:443/cb",
        "http://localhost/cb", "http://localhost:3000/cb", "http://LocalHost:1/", "http://127.0.0.1/cb",
        "http://127.0.0.1:65535/cb", "http://[::1]/cb", "http://[::1]:8080/cb", "http://localhost?x=1",
        "https://a.b/c%20d",
    ])
    func allowed(_ uri: String) {
        #expect(RedirectURI.isAllowedForRegistration(uri), "\(uri)")
    }

    @Test(arguments: [
        "", "example.com/cb", "/cb", "//example.com/cb", "http://example.com/cb", "http://10.0.0.1/cb",
        "http://localhost.evil.com/cb", "http://127.0.0.2/cb", "http://[::2]/cb", "http://127.0.0.1.nip.io/",
        "https://example.com/cb#frag", "https://example.com/#", "http://localhost/#x", "ftp://example.com/",
        "javascript:alert(1)", "data:text/html,hi", "com.example.app://cb", "https://", "https:///cb", "http://",
        "https://user@example.com/", "https://user:pw@example.com/", "http://user@localhost/",
        "https://example.com:/cb", "https://example.com:abc/cb", "https://example.com:123456/", "https://a:1:2/",
        "https://[::1/cb", "http://[::1]x/cb", "https://exa mple.com/", "https://example.com/\u{7f}", "https://example.com/é",
        "https://example.com/\t", "https://example.com/" + String(repeating: "a", count: 2048),
        "https://[]/cb", "https://[]:443/cb", "https://[evil.com]/cb", "https://[::1]:123456/cb", "https://[::g]/",
    ])
    func refused(_ uri: String) {
        #expect(!RedirectURI.isAllowedForRegistration(uri), "\(uri)")
    }

    @Test func lengthLimit_is2048Bytes() {
        let base = "https://example.com/"
        #expect(RedirectURI.isAllowedForRegistration(base + String(repeating: "a", count: 2048 - base.utf8.count)))
        #expect(!RedirectURI.isAllowedForRegistration(base + String(repeating: "a", count: 2049 - base.utf8.count)))
    }

    @Test func listRules_countAndIndexedPaths() {
        #expect(ApplicationRoutes.validateRedirectURIs([]).isEmpty)
        #expect(ApplicationRoutes.validateRedirectURIs(Array(repeating: "https://a.example/", count: 10)).isEmpty)
        let tooMany = ApplicationRoutes.validateRedirectURIs(Array(repeating: "https://a.example/", count: 11))
        #expect(tooMany.map(\.path) == ["redirect_uris"])
        let mixed = ApplicationRoutes.validateRedirectURIs(["https://ok.example/", "http://bad.example/", "https://ok2.example/", "#"])
        #expect(mixed.map(\.path) == ["redirect_uris.1", "redirect_uris.3"])
        #expect(mixed.allSatisfy { $0.code == "INVALID_URL_FORMAT" })
    }

    @Test func nameRules() {
        #expect(ApplicationRoutes.validateName("a") == nil)
        #expect(ApplicationRoutes.validateName(String(repeating: "a", count: 100)) == nil)
        #expect(ApplicationRoutes.validateName(String(repeating: "é", count: 100)) == nil)
        #expect(ApplicationRoutes.validateName("")?.code == "STRING_LENGTH_INVALID")
        #expect(ApplicationRoutes.validateName(String(repeating: "a", count: 101))?.code == "STRING_LENGTH_INVALID")
        // JavaScript length: an astral character counts 2.
        #expect(ApplicationRoutes.validateName(String(repeating: "😀", count: 50)) == nil)
        #expect(ApplicationRoutes.validateName(String(repeating: "😀", count: 51))?.code == "STRING_LENGTH_INVALID")
        #expect(ApplicationRoutes.validateName("tab\there")?.code == "INVALID_FORMAT")
        #expect(ApplicationRoutes.validateName("nul\u{0}")?.code == "INVALID_FORMAT")
    }
}
