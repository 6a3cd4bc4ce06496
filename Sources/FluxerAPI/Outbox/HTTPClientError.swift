/// Why a client request failed. Descriptions are short and carry no request or response content.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host name did not resolve.
    case resolve(String)
    /// Every address refused or failed (`errno`).
    case connect(errno: Int32)
    /// The deadline passed.
    case timeout
    /// The TLS handshake or a TLS read/write failed.
    case tls(String)
    /// A socket read or write failed (`errno`).
    case io(errno: Int32)
    /// The response is not HTTP/1.x.
    case malformedResponse(String)
    /// The response exceeded the size bound.
    case responseTooLarge(limit: Int)
    /// A request header holds CR or LF.
    case invalidHeader

    /// One short line.
    public var description: String {
        switch self {
        case .resolve(let reason): "resolve: \(reason)"
        case .connect(let errno): "connect: \(HTTPClientError.errnoName(errno))"
        case .timeout: "timeout"
        case .tls(let reason): "tls: \(reason)"
        case .io(let errno): "io: \(HTTPClientError.errnoName(errno))"
        case .malformedResponse(let reason): "malformed response: \(reason)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .invalidHeader: "invalid request header"
        }
    }

    package static func errnoName(_ code: Int32) -> String {
        switch code {
        case 111: "connection refused"
        case 110: "timed out"
        case 113: "no route to host"
        case 101: "network unreachable"
        case 104: "connection reset"
        case 32: "broken pipe"
        default: "errno \(code)"
        }
    }
}
