/// One problem with one field of a request body (`INVALID_FORM_BODY` item).
public struct FieldError: Sendable, Equatable {
    /// Dot-joined path (`root` for the whole body), as the real server's zod paths.
    public var path: String
    /// Human-readable message.
    public var message: String
    /// Machine code, when there is one.
    public var code: String?

    /// A field error.
    public init(path: String, message: String, code: String? = nil) {
        self.path = path
        self.message = message
        self.code = code
    }
}
