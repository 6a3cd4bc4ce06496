/// Why a request was refused while parsing; each maps to one status and closes the connection
/// (RFC 9112 §6.3: after a framing error the server cannot know where the next request starts).
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status sent to the client.
    public let status: HTTPStatus
    /// A short fixed reason, for tests and logs; never contains request bytes.
    public let reason: String

    /// An error with a status and fixed reason.
    public init(_ status: HTTPStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    /// The reason and status.
    public var description: String { "\(status.code) \(reason)" }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(.badRequest, reason) }
}
