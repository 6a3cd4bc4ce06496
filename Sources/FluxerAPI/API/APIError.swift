import FluxerDomain
import FluxerJSON
import HTTPServer

/// An error that reaches a client: it knows its status and renders the Fluxer shape `{code, message, …extra}`.
public struct APIError: HTTPResponseError, Sendable {
    /// HTTP status.
    public var status: HTTPStatus
    /// Fluxer string code, e.g. `UNAUTHORIZED`.
    public var code: String
    /// en-US message.
    public var message: String
    /// Extra top-level members (`errors`, `has_mfa`, `retry_after`, …).
    public var extra: [(String, JSONValue)]
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPHeaders

    /// An error from its parts.
    public init(_ status: HTTPStatus, code: String, message: String, extra: [(String, JSONValue)] = [], headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers = headers
    }

    /// The rendered response.
    public var response: HTTPResponse {
        var headers = self.headers
        headers.add("Cache-Control", "no-store")
        return .json(status, JSONValue.object([("code", .string(code)), ("message", .string(message))] + extra), headers: headers)
    }

    /// 400 `INVALID_FORM_BODY` with `errors: [{path, message, code}]`.
    public static func invalidFormBody(_ errors: [FieldError]) -> APIError {
        let items: [JSONValue] = errors.map { e in
            var members: [(String, JSONValue)] = [("path", .string(e.path)), ("message", .string(e.message))]
            if let code = e.code { members.append(("code", .string(code))) }
            return .object(members)
        }
        return APIError(.badRequest, code: "INVALID_FORM_BODY", message: "Invalid form body.", extra: [("errors", .array(items))])
    }

    /// 400 `INVALID_FORM_BODY` for one field.
    public static func invalidField(_ path: String, _ message: String, code: String? = nil) -> APIError {
        invalidFormBody([FieldError(path: path, message: message, code: code)])
    }

    /// 401 `UNAUTHORIZED`.
    public static let unauthorized = APIError(.unauthorized, code: "UNAUTHORIZED", message: "Unauthorized.")
    /// Its response, rendered once (refusing a forged token must cost as little as possible).
    package static let unauthorizedResponse = unauthorized.response
    /// 403 `ACCESS_DENIED`.
    public static let accessDenied = APIError(.forbidden, code: "ACCESS_DENIED", message: "Access denied.")
    /// 403 `ACCOUNT_SUSPENDED_PERMANENTLY`: the real server's answer to a sign-in by a banned account
    /// (fluxer-api.md §5 "Other outcomes"), ours to one an operator disabled (`fluxer-auth user disable`).
    public static let accountSuspended = APIError(.forbidden, code: "ACCOUNT_SUSPENDED_PERMANENTLY",
                                                  message: "This account has been permanently suspended.")
    /// 403 `MISSING_OAUTH_SCOPE` with `required_scope`.
    package static func missingScope(_ scope: OAuthScope) -> APIError {
        APIError(.forbidden, code: "MISSING_OAUTH_SCOPE", message: "Missing OAuth2 scope.", extra: [("required_scope", .string(scope.rawValue))])
    }

    /// 404 `NOT_FOUND`.
    public static let notFound = APIError(.notFound, code: "NOT_FOUND", message: "Not found.")
    /// 500 with no detail; the cause goes to the log only.
    public static let internalError = APIError(.internalServerError, code: "INTERNAL_SERVER_ERROR", message: "Internal server error.")

    /// 503 `SERVICE_UNAVAILABLE` with `Retry-After`, for a full disk, an I/O error or a held write lock, or a
    /// bounded resource that is full (pending sign-ins, a slow provider).
    public static func serviceUnavailable(retryAfterSeconds: Int = 1, message: String = "Service temporarily unavailable.") -> APIError {
        APIError(.serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: message, headers: ["Retry-After": String(retryAfterSeconds)])
    }

    /// The session answer of every sign-in (`{token, user_id}`).
    package static func sessionResponse(userID: UInt64, token: String) -> HTTPResponse {
        .json(.ok, JSONValue.object([("token", .string(token)), ("user_id", .string(String(userID)))]))
    }
}
