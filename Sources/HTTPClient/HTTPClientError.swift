/// Why a request failed. Descriptions are one short line and never carry a URL, its query, a header or a body:
/// only the host, where it names the refused peer.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not an absolute http(s) URL `HTTPClientRequest.host(of:)` accepts.
    case invalidURL
    /// The scheme is not http or https, or it is http to a non-loopback address without `allowsPlainHTTP`.
    case schemeNotAllowed
    /// The method is not an RFC 9110 token.
    case invalidMethod
    /// A header name is not a token, a value holds CR, LF, NUL or another control byte, or the header is one the
    /// transport sets itself.
    case invalidHeader
    /// A body on a `GET` or `HEAD` request.
    case bodyNotAllowed
    /// Every address of `host` was refused by the address rule.
    case addressNotAllowed(host: String)
    /// The host name did not resolve.
    case resolveFailed
    /// No connection could be made (refused, unreachable).
    case connectFailed
    /// The connect or the total timeout passed.
    case timedOut
    /// The TLS handshake or certificate verification failed, or the CA file could not be read.
    case tlsFailed
    /// The connection broke before the response was complete (reset, closed mid-body, no response at all).
    case connectionLost
    /// The body exceeded `maxResponseBytes`.
    case responseTooLarge
    /// The head exceeded `maxResponseHeaderBytes` or `maxResponseHeaderCount`.
    case headersTooLarge
    /// The response is not valid HTTP/1.1.
    case protocolError
    /// libcurl failed otherwise (out of memory, an option this libcurl lacks): its CURLcode.
    case libcurl(code: Int)

    /// One short line.
    public var description: String {
        switch self {
        case .invalidURL: "invalid URL"
        case .schemeNotAllowed: "scheme not allowed"
        case .invalidMethod: "invalid method"
        case .invalidHeader: "invalid or reserved request header"
        case .bodyNotAllowed: "body not allowed on GET or HEAD"
        case .addressNotAllowed(let host): "address not allowed for host \(host)"
        case .resolveFailed: "could not resolve host"
        case .connectFailed: "could not connect"
        case .timedOut: "timed out"
        case .tlsFailed: "TLS handshake or certificate verification failed"
        case .connectionLost: "connection lost before the response was complete"
        case .responseTooLarge: "response body too large"
        case .headersTooLarge: "response headers too large"
        case .protocolError: "malformed HTTP response"
        case .libcurl(let code): "libcurl error \(code)"
        }
    }
}
