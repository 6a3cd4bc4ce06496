import FoundationEssentials
import HTTPServer
import FluxerDomain
import FluxerJSON

/// Decodes request bodies into `Decodable` types, turning every failure into a 400 `INVALID_FORM_BODY`
/// (never a 500, never a crash): not strict RFC 8259 JSON (`StrictJSON`), wrong top-level type, missing or
/// mistyped fields.
public enum JSONBody {
    /// Decodes the request's body as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws(APIError) -> T {
        if let contentType = request.headers["Content-Type"], !isJSON(contentType) {
            throw APIError(.init(415), code: "UNSUPPORTED_MEDIA_TYPE", message: "Request body must be application/json.")
        }
        guard !request.body.isEmpty else {
            throw APIError.invalidField("root", "A JSON body is required.", code: "BASE_TYPE_REQUIRED")
        }
        // RFC 8259 exactly, before Foundation's lenient decoder sees the bytes.
        if let violation = StrictJSON.violation(in: request.body) {
            throw APIError.invalidField("root", "The body is not valid JSON: \(violation.reason) at byte \(violation.offset).", code: "INVALID_JSON")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw APIError.invalidFormBody([fieldError(error)])
        } catch {
            throw APIError.invalidField("root", "The body is not valid JSON.", code: "INVALID_JSON")
        }
    }

    package static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingASCIIWhitespace().lowercased() } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    package static func fieldError(_ error: DecodingError) -> FieldError {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            let joined = all.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "root" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(path: path(context.codingPath, key), message: "This field is required.", code: "BASE_TYPE_REQUIRED")
        case .typeMismatch(let type, let context):
            return FieldError(path: path(context.codingPath), message: "Expected \(describe(type)).", code: "BASE_TYPE_INVALID")
        case .valueNotFound(let type, let context):
            return FieldError(path: path(context.codingPath), message: "Expected \(describe(type)), got null.", code: "BASE_TYPE_REQUIRED")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return FieldError(path: "root", message: "The body is not valid JSON.", code: "INVALID_JSON")
            }
            return FieldError(path: path(context.codingPath), message: "Invalid value.", code: "BASE_TYPE_INVALID")
        @unknown default:
            return FieldError(path: "root", message: "Invalid body.", code: "BASE_TYPE_INVALID")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
