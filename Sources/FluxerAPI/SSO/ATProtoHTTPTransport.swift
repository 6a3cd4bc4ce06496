import FluxerATProto
import HTTPClient

/// The atproto client's outbound HTTP on libcurl (`HTTPClient`): verified TLS, no redirects, 5 s to connect and
/// `sso.timeout` (10 s) in all, responses capped at 1 MiB. Hosts the provider's own configuration names (service, PLC directory,
/// handle resolver) are trusted even on loopback or private addresses; everything else found in handles, DID
/// documents and metadata must resolve to public addresses (checked on the address connected to).
package struct ATProtoHTTPTransport: ATProtoTransport {
    package let client: HTTPClient

    package init(trustedHosts: Set<String>, timeoutMilliseconds: Int = 10_000) {
        client = HTTPClient(policy: HTTPClientPolicy(connectTimeout: .milliseconds(min(5_000, timeoutMilliseconds)),
                                                     totalTimeout: .milliseconds(timeoutMilliseconds), addressRule: .publicOnly,
                                                     allowedHosts: trustedHosts))
    }

    package func send(_ request: ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse {
        do {
            let response = try client.send(HTTPClientRequest(method: request.method, url: request.url,
                                                             headers: request.headers.map { (name: $0.0, value: $0.1) }, body: request.body))
            return ATProtoHTTPResponse(status: response.status, headers: response.headers.map { ($0.name, $0.value) }, body: response.body)
        } catch {
            switch error {
            case .timedOut: throw .timedOut
            case .responseTooLarge, .headersTooLarge: throw .tooLarge
            case .addressNotAllowed: throw .addressNotAllowed
            default: throw .unreachable(error.description)
            }
        }
    }
}
