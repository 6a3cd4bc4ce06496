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

/// Minimal JSON string quoting for protocol-level bodies (the product uses a full encoder).
public enum JSONText {
    /// Returns `s` as a JSON string literal (RFC 8259 §7).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
