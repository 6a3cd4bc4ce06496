@testable import HTTPClient
import Testing

/// Request checks made before libcurl is touched.
@Suite struct RequestPlanTests {
    private func plan(method: String = "GET", headers: [(name: String, value: String)] = [], body: [UInt8] = [])
        -> Result<RequestPlan, HTTPClientError> {
        Result { () throws(HTTPClientError) in
            try RequestPlan(HTTPClientRequest(method: method, url: "https://example.com/", headers: headers, body: body))
        }
    }

    @Test(arguments: ["", "GE T", "GET\r\n", "GET/", "G\u{0}ET", "ÜBER"])
    func method_invalid(method: String) {
        #expect(plan(method: method).failure == .invalidMethod)
    }

    @Test func method_anyTokenAccepted() throws {
        for method in ["GET", "POST", "PROPFIND", "M-SEARCH", "get"] {
            _ = try plan(method: method).get()
        }
    }

    @Test(arguments: [
        ("X-Bad Name", "v"), ("", "v"), ("X:Colon", "v"), ("X-Split", "a\r\nInjected: yes"), ("X-LF", "a\nb"),
        ("X-Nul", "a\u{0}"), ("Host", "evil.example"), ("content-length", "0"), ("Transfer-Encoding", "chunked"),
        ("Connection", "close"), ("Expect", "100-continue"), ("TE", "trailers"), ("Upgrade", "h2c"),
    ])
    func header_refused(name: String, value: String) {
        #expect(plan(headers: [(name, value)]).failure == .invalidHeader)
    }

    @Test func body_refusedOnGetAndHead() {
        #expect(plan(method: "GET", body: [1]).failure == .bodyNotAllowed)
        #expect(plan(method: "HEAD", body: [1]).failure == .bodyNotAllowed)
        #expect(plan(method: "DELETE", body: [1]).failure == nil)
    }

    /// libcurl reads "Name:" as "remove"; an empty value is sent as "Name;". Expect is always suppressed, and
    /// curl's default form Content-Type is removed when the caller gave none.
    @Test func headerLines_forLibcurl() throws {
        let get = try plan(headers: [("Accept", " application/json "), ("X-Empty", "")]).get()
        #expect(get.headerLines == ["Accept: application/json", "X-Empty;", "Expect:"])
        #expect(!get.sendsBody)
        let post = try plan(method: "POST", body: Array("{}".utf8)).get()
        #expect(post.headerLines == ["Expect:", "Content-Type:"])
        #expect(post.sendsBody)
        let typed = try plan(method: "POST", headers: [("content-type", "application/json")]).get()
        #expect(typed.headerLines == ["content-type: application/json", "Expect:"])
        #expect(typed.sendsBody)
    }
}

