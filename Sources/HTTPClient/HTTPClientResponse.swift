/// A complete response: libcurl follows no redirect, so a 3xx is returned like any other status.
public struct HTTPClientResponse: Sendable {
    /// The status code (RFC 9110 §15).
    public var status: Int
    /// The header fields of the final response in order, names as received (1xx interim responses and chunked
    /// trailers are not included).
    public var headers: [(name: String, value: String)]
    /// The body, at most `HTTPClientPolicy.maxResponseBytes`, as received (no content coding is requested or
    /// undone).
    public var body: [UInt8]

    /// A response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first field named `name`, compared without regard to ASCII case (RFC 9110 §5.1).
    public func header(_ name: String) -> String? {
        headers.first { HTTPSyntax.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Every value of the fields named `name`, in order.
    public func headers(named name: String) -> [String] {
        headers.filter { HTTPSyntax.equalsIgnoringCase($0.name, name) }.map(\.value)
    }
}
