@testable import FluxerATProto
import Testing

/// atproto "Handle" and "DID" syntax, and AT identifiers.
@Suite struct ATProtoSyntaxTests {
    @Test(arguments: ["jay.bsky.social", "8.cn", "name.t--t", "XX.LCS.MIT.EDU", "a.co", "xn--notarealidn.com",
                      "xn--fiqa61au8b7zsevnm8ak20mc4a87e.xn--fiqs8s", "alice.test", "a-b.c-d.example.com"])
    func handle_validExamples_areAccepted(_ text: String) {
        #expect(ATProtoHandle(text)?.string == text.lowercased())
    }

    @Test(arguments: ["jo@hn.test", "💩.test", "john..test", "xn--bcher-.tld", "john.0", "cn.8", "www.masełkowski.pl.com",
                      "org", "name.org.", "-bad.com", "bad-.com", "a.b.c.d.e.f.9com", "alice.local", "alice.onion",
                      "handle.invalid", "x.localhost", "ex.example", "a.arpa", "a.internal", "a.alt", "", "a", " alice.test"])
    func handle_invalidExamples_areRefused(_ text: String) {
        #expect(ATProtoHandle(text) == nil)
    }

    @Test func handle_lengthLimits_atLimitAndOver() {
        let label63 = String(repeating: "a", count: 63)
        #expect(ATProtoHandle(label63 + ".com") != nil)
        #expect(ATProtoHandle(String(repeating: "a", count: 64) + ".com") == nil)
        // 253 characters: 3 × 63-character labels + 3 dots + a 61-character TLD label... built to exactly 253.
        let atLimit = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(atLimit.count == ATProtoHandle.maxLength)
        #expect(ATProtoHandle(atLimit) != nil)
        let overLimit = [label63, label63, label63, String(repeating: "b", count: 62)].joined(separator: ".")
        #expect(ATProtoHandle(overLimit) == nil)
    }

    @Test func handle_isNormalizedToLowerCase_andNamesItsTXTRecord() {
        let handle = ATProtoHandle("Alice.Bsky.Social")
        #expect(handle?.string == "alice.bsky.social")
        #expect(handle?.txtName == "_atproto.alice.bsky.social")
        #expect(handle == ATProtoHandle("alice.bsky.social"))
    }

    @Test(arguments: ["did:plc:z72i7hdynmk6r22z27h6tvur", "did:web:blueskyweb.xyz", "did:web:localhost%3A8080",
                      "did:web:example.com"])
    func did_validExamples_areAccepted(_ text: String) {
        #expect(ATProtoDID(text)?.string == text)
    }

    @Test(arguments: ["did:plc:z72i7hdynmk6r22z27h6tvu", "did:plc:z72i7hdynmk6r22z27h6tvurr", "did:plc:Z72I7HDYNMK6R22Z27H6TVUR",
                      "did:plc:z72i7hdynmk6r22z27h6tvu1", "did:key:zQ3shZc2QzApp2oymGvQbzP8eKheVshBHbU4ZYjeXqwSKEn6N",
                      "did:web:example.com:path", "did:web:example.com%3A8080", "did:web:com", "did:web:-bad.com",
                      "did:web:localhost%3A99999", "did:web:Example.COM", "DID:plc:z72i7hdynmk6r22z27h6tvur", "did:plc",
                      "did::x", "alice.test", ""])
    func did_invalidOrUnsupported_areRefused(_ text: String) {
        #expect(ATProtoDID(text) == nil)
    }

    @Test func did_web_exposesHostAndPort() {
        #expect(ATProtoDID("did:web:example.com")?.webHost?.host == "example.com")
        #expect(ATProtoDID("did:web:example.com")?.webHost?.port == nil)
        #expect(ATProtoDID("did:web:localhost%3A8080")?.webHost?.port == 8080)
        #expect(ATProtoDID("did:plc:z72i7hdynmk6r22z27h6tvur")?.webHost == nil)
        #expect(ATProtoDID("did:plc:z72i7hdynmk6r22z27h6tvur")?.method == .plc)
    }

    @Test func did_lengthLimit_isEnforced() {
        let host = (0..<40).map { _ in String(repeating: "a", count: 50) }.joined(separator: ".") + ".com"
        #expect(ATProtoDID("did:web:" + host) == nil)
    }

    @Test func identifier_parsesHandlesDIDsAndAtPrefixedHandles() {
        #expect(ATIdentifier("alice.test") == .handle(ATProtoHandle("alice.test")!))
        #expect(ATIdentifier("  @Alice.Test ") == .handle(ATProtoHandle("alice.test")!))
        #expect(ATIdentifier("did:plc:z72i7hdynmk6r22z27h6tvur") == .did(ATProtoDID("did:plc:z72i7hdynmk6r22z27h6tvur")!))
        #expect(ATIdentifier("did:plc:z72i7hdynmk6r22z27h6tvur")?.string == "did:plc:z72i7hdynmk6r22z27h6tvur")
        #expect(ATIdentifier("@Alice.Test")?.string == "alice.test")
    }

    @Test(arguments: ["", "@", "@@alice.test", "did:key:abc", "https://alice.test", "alice", "at://alice.test", "alice test.com"])
    func identifier_refusesNonIdentifiers(_ text: String) {
        #expect(ATIdentifier(text) == nil)
    }

    @Test func identifier_refusesOversizedInputUnread() {
        #expect(ATIdentifier(String(repeating: "a", count: ATIdentifier.maxInputBytes + 1)) == nil)
    }
}
