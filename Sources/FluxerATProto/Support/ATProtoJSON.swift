import FluxerJSON
import FoundationEssentials

/// Reading upstream JSON: size-capped, checked against the strict RFC 8259 grammar (no duplicate member names, so
/// two parsers can never disagree about a document), then decoded into the step's typed shape.
enum ATProtoJSON {
    /// The largest document any step reads. Real DID documents and metadata are a few KiB.
    static let maxDocumentBytes = 64 * 1024

    /// `body` as `T`, or `.oversized` / `.malformed` for `step`.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], step: ATProtoStep,
                                     maxBytes: Int = maxDocumentBytes) throws(ATProtoError) -> T {
        guard body.count <= maxBytes else { throw .oversized(step) }
        guard StrictJSON.violation(in: body) == nil else { throw .malformed(step) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw .malformed(step)
        }
    }

    /// The `error` member of an OAuth error body (RFC 6749 §5.2), when the body is one.
    static func oauthErrorCode(_ body: [UInt8]) -> String? {
        struct ErrorBody: Decodable { var error: String }
        guard body.count <= maxDocumentBytes, StrictJSON.violation(in: body) == nil,
              let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(body))
        else { return nil }
        return decoded.error
    }

    /// `code` when it is a plain error token (`[a-z_]`, at most 64 bytes), else `other`: upstream text never
    /// reaches our errors verbatim.
    static func sanitizedCode(_ code: String?) -> String {
        guard let code, !code.isEmpty, code.utf8.count <= 64,
              code.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") })
        else { return "other" }
        return code
    }
}
