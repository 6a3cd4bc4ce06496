import FluxerJSON

/// A response a handler returns; the server adds Date, Content-Length and Connection.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields (Content-Type among them).
    public var headers: HTTPHeaders
    /// The body; dropped on the wire for HEAD, 1xx, 204 and 304 (RFC 9112 §6.3).
    public var body: [UInt8]
    /// Whether the server must close the connection after sending this response.
    public var closesConnection: Bool = false

    /// A response from its parts.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from an already-encoded body.
    public static func json(_ status: HTTPStatus = .ok, _ body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var h = headers
        if !h.contains("Content-Type") { h.add("Content-Type", "application/json") }
        return HTTPResponse(status: status, headers: h, body: body)
    }

    /// A JSON response from a UTF-8 string.
    public static func json(_ status: HTTPStatus = .ok, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        json(status, Array(text.utf8), headers: headers)
    }

    /// A plain-text response.
    public static func text(_ status: HTTPStatus = .ok, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An empty 204.
    public static var noContent: HTTPResponse { HTTPResponse(status: .noContent) }

    /// The Fluxer-shaped error body `{"code": …, "message": …}` used for protocol-level errors.
    public static func error(_ status: HTTPStatus, code: String, message: String) -> HTTPResponse {
        json(status, "{\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}")
    }
}
