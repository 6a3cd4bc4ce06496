import HTTPServer
import FluxerDomain
import FluxerJSON

/// An RFC 6749 error: `{error, error_description}` with `Cache-Control: no-store` (§5.2). `invalid_client` is
/// 401 and, when the client tried HTTP Basic, carries `WWW-Authenticate` (§5.2).
package struct OAuthError: HTTPResponseError {
    package var error: String
    package var description: String
    package var status: HTTPStatus = .badRequest
    package var basicChallenge = false

    package var response: HTTPResponse {
        var headers: HTTPHeaders = ["Cache-Control": "no-store", "Pragma": "no-cache"]
        if basicChallenge { headers.add("WWW-Authenticate", "Basic realm=\"fluxer-auth\", charset=\"UTF-8\"") }
        return .json(status, JSONValue.object([("error", .string(error)), ("error_description", .string(description))]), headers: headers)
    }

    package static func invalidRequest(_ d: String) -> OAuthError { OAuthError(error: "invalid_request", description: d) }
    package static func invalidGrant(_ d: String = "The provided authorization grant is invalid, expired, or revoked.") -> OAuthError {
        OAuthError(error: "invalid_grant", description: d)
    }
    package static func invalidScope(_ d: String) -> OAuthError { OAuthError(error: "invalid_scope", description: d) }
    package static func unsupportedGrantType(_ d: String) -> OAuthError { OAuthError(error: "unsupported_grant_type", description: d) }
    package static func unauthorizedClient(_ d: String) -> OAuthError { OAuthError(error: "unauthorized_client", description: d) }
    package static func invalidClient(_ d: String, basic: Bool) -> OAuthError {
        OAuthError(error: "invalid_client", description: d, status: .unauthorized, basicChallenge: basic)
    }
}

/// Form bodies of the OAuth endpoints (`application/x-www-form-urlencoded`, RFC 6749 §3.2): every parameter at
/// most once (§3.1, AZ-07); an empty value counts as absent.
package struct OAuthForm {
    package let values: [String: String]

    /// `application/x-www-form-urlencoded` (RFC 6749 §4.1.3), or `multipart/form-data` text fields, which the
    /// real server (and its OpenAPI document) also takes.
    package init(_ request: HTTPRequest) throws {
        guard let type = request.headers["Content-Type"] else {
            throw OAuthError.invalidRequest("The request body must be application/x-www-form-urlencoded or multipart/form-data.")
        }
        if type.split(separator: ";").first.map({ $0.trimmingASCIIWhitespace().lowercased() }) == "application/x-www-form-urlencoded" {
            try self.init(pairs: request.body.withUnsafeBufferPointer { FormURLEncoding.decode(bytes: $0) })
            return
        }
        guard let boundary = MultipartFormData.boundary(contentType: type) else {
            throw OAuthError.invalidRequest("The request body must be application/x-www-form-urlencoded or multipart/form-data.")
        }
        guard let fields = MultipartFormData.decode(request.body, boundary: boundary) else {
            throw OAuthError.invalidRequest("The multipart/form-data body is malformed.")
        }
        try self.init(pairs: fields)
    }

    package init(pairs: [(name: String, value: String)]) throws {
        var values: [String: String] = [:]
        for (name, value) in pairs {
            guard values[name] == nil else { throw OAuthError.invalidRequest("Parameter \(name.prefix(40)) is repeated.") }
            guard value.utf8.count <= 4096 else { throw OAuthError.invalidRequest("Parameter \(name.prefix(40)) is too long.") }
            values[name] = value
        }
        self.values = values.filter { !$0.value.isEmpty }
    }

    package subscript(_ name: String) -> String? { values[name] }
}
