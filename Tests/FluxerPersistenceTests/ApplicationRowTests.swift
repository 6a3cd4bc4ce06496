import FluxerDomain
import FluxerPersistence
import Testing

/// How an application row's `redirect_uris` (a JSON array of strings) is read back.
@Suite struct ApplicationRowTests {
    @Test func redirectURIs_readAsWritten() {
        #expect(Application.redirectURIs(#"["https://app.example/cb","http://127.0.0.1:8080/a?b=c"]"#)
                == ["https://app.example/cb", "http://127.0.0.1:8080/a?b=c"])
        #expect(Application.redirectURIs(#"["https:\/\/app.example\/caf\u00e9"]"#) == ["https://app.example/café"])
        #expect(Application.redirectURIs("[]") == [])
        #expect(Application.redirectURIs(nil) == [])
    }

    /// Anything but an array of strings reads as no URIs at all (never a partial list).
    @Test(arguments: ["", "not json", "{}", #""https://a.example""#, #"["https://a.example", 1]"#, #"["a"] trailing"#, "[null]"])
    func redirectURIs_malformed_readAsNone(_ text: String) {
        #expect(Application.redirectURIs(text) == [])
    }
}
