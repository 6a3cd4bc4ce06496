/// A response read by `BlockingHTTPClient`.
public struct HTTPClientResponse: Sendable, Equatable {
    /// Status code.
    public var status: Int
    /// Header fields in order, names as received.
    public var headers: [(name: String, value: String)]
    /// The body, de-chunked.
    public var body: [UInt8]

    /// The first value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public static func == (lhs: HTTPClientResponse, rhs: HTTPClientResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.count == rhs.headers.count && zip(lhs.headers, rhs.headers).allSatisfy { $0 == $1 }
    }
}
