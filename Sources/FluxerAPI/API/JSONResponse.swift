import FluxerJSON
import HTTPServer

extension HTTPResponse {
    /// A JSON response from a value, as every API answer is built (see `apiJSON`).
    public static func json(_ status: HTTPStatus = .ok, _ value: JSONValue, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        apiJSON(status, value.bytes, headers: headers)
    }

    /// The headers of an API answer that sets none of its own.
    private static let apiHeaders: HTTPHeaders = ["Content-Type": "application/json", "Cache-Control": "no-store"]

    /// An API answer from an encoded body. API answers carry user data and secrets (`{token, user_id}`, client
    /// secrets, bot tokens, `/users/@me`), so no cache may keep them: `Cache-Control: no-store` unless the
    /// caller set a policy of its own (AT-06, TE-07).
    package static func apiJSON(_ status: HTTPStatus, _ body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        if headers.isEmpty { return HTTPResponse(status: status, headers: apiHeaders, body: body) }
        var h = headers
        if !h.contains("Cache-Control") { h.add("Cache-Control", "no-store") }
        return .json(status, body, headers: h)
    }
}
