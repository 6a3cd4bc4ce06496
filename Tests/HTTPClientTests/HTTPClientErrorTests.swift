@testable import HTTPClient
import Testing

@Suite struct HTTPClientErrorTests {
    static let all: [HTTPClientError] = [
        .invalidURL, .schemeNotAllowed, .invalidMethod, .invalidHeader, .bodyNotAllowed,
        .addressNotAllowed(host: "idp.example.com"), .resolveFailed, .connectFailed, .timedOut, .tlsFailed,
        .connectionLost, .responseTooLarge, .headersTooLarge, .protocolError, .libcurl(code: 27),
    ]

    @Test func descriptions_shortAndDistinct() {
        let descriptions = Self.all.map(\.description)
        #expect(Set(descriptions).count == descriptions.count)
        #expect(descriptions.allSatisfy { !$0.isEmpty && $0.count < 80 && !$0.contains("\n") })
    }

    /// The error carries no URL: a request with a secret in its path or query fails without repeating it.
    @Test func failures_neverRepeatTheURL() {
        for url in ["https://10.0.0.1/cb?code=SECRET123", "https://127.0.0.1:1/SECRET123", "gopher://x/SECRET123",
                    "https://user:SECRET123@example.com/"] {
            let error = fetch(url, policy: HTTPClientPolicy()).failure
            #expect(error != nil)
            let description = error.map(\.description) ?? ""
            #expect(!description.contains("SECRET123"))
            #expect(!String(describing: error).contains("SECRET123"))
        }
    }
}
