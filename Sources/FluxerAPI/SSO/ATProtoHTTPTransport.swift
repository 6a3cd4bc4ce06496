import FluxerATProto

/// The atproto client's outbound HTTP: 10 s per exchange, responses capped, redirects not followed.
/// `trustedHosts` are the hosts the provider's own configuration names (service, PLC directory, resolver).
package struct ATProtoHTTPTransport: ATProtoTransport {
    package let trustedHosts: Set<String>
    package static let timeoutMilliseconds = 10_000

    package init(trustedHosts: Set<String>) {
        self.trustedHosts = trustedHosts
    }

    package func send(_ request: ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse {
        guard let url = HTTPClientURL(request.url) else { throw .unreachable("not an http(s) URL") }
        do {
            let response = request.method == "GET"
                ? try BlockingHTTPClient.get(url, headers: request.headers, timeoutMilliseconds: Self.timeoutMilliseconds)
                : try BlockingHTTPClient.post(url, headers: request.headers, body: request.body, timeoutMilliseconds: Self.timeoutMilliseconds)
            return ATProtoHTTPResponse(status: response.status, headers: response.headers.map { ($0.name, $0.value) }, body: response.body)
        } catch {
            switch error {
            case .timeout: throw .timedOut
            case .responseTooLarge: throw .tooLarge
            default: throw .unreachable(error.description)
            }
        }
    }
}
