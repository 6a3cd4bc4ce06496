@testable import FluxerATProto
import FluxerJSON
import Synchronization

/// A transport answering from a table of exact URLs; anything else is unreachable. Records what was sent.
final class ScriptedTransport: ATProtoTransport, Sendable {
    typealias Handler = @Sendable (ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse
    private let routes = Mutex<[String: Handler]>([:])
    private let sent = Mutex<[ATProtoHTTPRequest]>([])

    /// Answers `url` with `handler`.
    func on(_ url: String, _ handler: @escaping Handler) { routes.withLock { $0[url] = handler } }

    /// Answers `url` with a JSON body.
    func json(_ url: String, _ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) {
        on(url) { _ in ATProtoHTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.bytes) }
    }

    /// Answers `url` with a text body.
    func text(_ url: String, _ text: String, status: Int = 200) {
        on(url) { _ in ATProtoHTTPResponse(status: status, body: Array(text.utf8)) }
    }

    var requests: [ATProtoHTTPRequest] { sent.withLock { $0 } }

    func send(_ request: ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse {
        sent.withLock { $0.append(request) }
        guard let handler = routes.withLock({ $0[request.url] }) else { throw .unreachable("unscripted") }
        return try handler(request)
    }
}

/// DID documents and metadata for unit tests.
enum Documents {
    static let alice = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
    static let pds = "https://pds.example.com"
    static let issuer = "https://auth.example.com"

    static func didDocument(_ did: String = alice, handle: String? = "alice.example.com", pds: String = pds,
                            serviceID: String = "#atproto_pds", type: String = "AtprotoPersonalDataServer") -> JSONValue {
        [
            "id": .string(did),
            "alsoKnownAs": .array(handle.map { [.string("at://" + $0)] } ?? []),
            "service": [["id": .string(serviceID), "type": .string(type), "serviceEndpoint": .string(pds)]],
        ]
    }

    static func authorizationServer(_ issuer: String = issuer, replacing: [String: JSONValue] = [:], omitting: Set<String> = []) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("issuer", .string(issuer)),
            ("authorization_endpoint", .string(issuer + "/oauth/authorize")),
            ("token_endpoint", .string(issuer + "/oauth/token")),
            ("pushed_authorization_request_endpoint", .string(issuer + "/oauth/par")),
            ("require_pushed_authorization_requests", true),
            ("authorization_response_iss_parameter_supported", true),
            ("response_types_supported", ["code"]),
            ("code_challenge_methods_supported", ["S256"]),
            ("token_endpoint_auth_methods_supported", ["none", "private_key_jwt"]),
            ("token_endpoint_auth_signing_alg_values_supported", ["ES256"]),
            ("dpop_signing_alg_values_supported", ["ES256"]),
            ("scopes_supported", ["atproto", "transition:generic"]),
            ("client_id_metadata_document_supported", true),
        ]
        members.removeAll { omitting.contains($0.0) }
        for (name, value) in replacing {
            if let index = members.firstIndex(where: { $0.0 == name }) { members[index].1 = value } else { members.append((name, value)) }
        }
        return .object(members)
    }
}
