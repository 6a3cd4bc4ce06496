// libFuzzer harness for JSON request bodies: the product's JSONBody.decode (Sources/FluxerAPI/API/JSONBody.swift,
// FoundationEssentials' JSONDecoder underneath) with its error mapping (APIError.swift, JSONValue.swift) and the
// pure HTTP sources, compiled by `fuzz/run.sh json`. The three FluxerAPI files lose their `import HTTPServer`
// line in generated copies (one module here). Two declarations from files that drag in the rest of the product
// are restated below verbatim: `HTTPResponseError` (Router.swift, event loop) and
// `StringProtocol.trimmingASCIIWhitespace()` (Config/TOMLSubset.swift).
// The body structs are copies of the product's (they are internal to their route files): register, login,
// logout-sessions (array), MFA enable, and one with every JSON type the routes decode.
// Properties besides "no crash, no sanitizer report":
//   1. every failure is a 400 INVALID_FORM_BODY / 415 APIError whose rendered body is itself valid JSON with
//      `code` and `message` (decoded back with JSONDecoder), never a trap or another error type;
//   2. a body that decodes re-encodes (JSONEncoder) and decodes again to an equal value.
import FoundationEssentials

public protocol HTTPResponseError: Error {
    var response: HTTPResponse { get }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        let u = Array(utf8)
        var a = 0
        var b = u.count
        while a < b && (u[a] == 0x20 || u[a] == 0x09 || u[a] == 0x0D) { a += 1 }
        while b > a && (u[b - 1] == 0x20 || u[b - 1] == 0x09 || u[b - 1] == 0x0D) { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }
}

struct RegisterBody: Codable, Equatable {
    var email: String?
    var username: String?
    var global_name: String?
    var password: String?
    var date_of_birth: String?
    var consent: Bool?
    var invite_code: String?
}

struct LoginBody: Codable, Equatable {
    var email: String
    var password: String
    var invite_code: String?
}

struct LogoutSessionsBody: Codable, Equatable {
    var session_id_hashes: [String]
}

struct EnableBody: Codable, Equatable {
    var secret: String?
    var code: String
}

struct Mixed: Codable, Equatable {
    var flags: Int?
    var limit: Int64?
    var id: UInt64?
    var ratio: Double?
    var names: [String]?
    var nested: [String: [Int]]?
}

struct ErrorShape: Decodable {
    var code: String
    var message: String
}

func attempt<T: Codable & Equatable>(_ type: T.Type, _ request: HTTPRequest) {
    do {
        let value = try JSONBody.decode(T.self, from: request)
        let data = try JSONEncoder().encode(value)
        let again = try JSONDecoder().decode(T.self, from: data)
        if again != value { fatalError("re-encoded \(T.self) differs: \(value) vs \(again)") }
    } catch let error as APIError {
        guard error.status.code == 400 || error.status.code == 415 else { fatalError("status \(error.status.code)") }
        let body = error.response.body
        guard let shape = try? JSONDecoder().decode(ErrorShape.self, from: Data(body)), !shape.code.isEmpty else {
            fatalError("error body is not JSON with code/message: \(String(decoding: body, as: UTF8.self))")
        }
    } catch {
        fatalError("unexpected error type: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var headers = HTTPHeaders()
    headers.add("Content-Type", "application/json")
    let request = HTTPRequest(method: .POST, path: "/", headers: headers, body: bytes)
    attempt(RegisterBody.self, request)
    attempt(LoginBody.self, request)
    attempt(LogoutSessionsBody.self, request)
    attempt(EnableBody.self, request)
    attempt(Mixed.self, request)
    return 0
}
