import FluxerJSON

/// The discovery documents: RFC 9728 protected resource metadata and RFC 8414 authorization server metadata with
/// everything the atproto profile requires.
extension ATProtoMockServer {
    func protectedResource(foreign: Bool) -> ATProtoHTTPResponse {
        let resource = foreign ? foreignPDSURL : pdsURL
        return MockResponse.json(200, [
            "resource": .string(resource),
            "authorization_servers": [.string(resource == pdsURL ? issuer : foreignPDSURL)],
            "scopes_supported": [],
            "bearer_methods_supported": ["header"],
        ])
    }

    func authorizationServerMetadata(foreign: Bool) -> ATProtoHTTPResponse {
        let issuer = foreign ? foreignPDSURL : self.issuer
        var members: [(String, JSONValue)] = [
            ("issuer", .string(issuer)),
            ("authorization_endpoint", .string(issuer + "/oauth/authorize")),
            ("token_endpoint", .string(issuer + "/oauth/token")),
            ("pushed_authorization_request_endpoint", .string(issuer + "/oauth/par")),
            ("require_pushed_authorization_requests", true),
            ("authorization_response_iss_parameter_supported", true),
            ("response_types_supported", ["code"]),
            ("response_modes_supported", ["query"]),
            ("grant_types_supported", ["authorization_code"]),
            ("code_challenge_methods_supported", ["S256"]),
            ("token_endpoint_auth_methods_supported", ["none", "private_key_jwt"]),
            ("token_endpoint_auth_signing_alg_values_supported", ["ES256"]),
            ("dpop_signing_alg_values_supported", ["ES256"]),
            ("scopes_supported", ["atproto", "transition:generic", "transition:email"]),
            ("client_id_metadata_document_supported", true),
            ("request_parameter_supported", false),
            ("request_uri_parameter_supported", true),
        ]
        let faults = state.withLock { $0.faults }
        members.removeAll { faults.metadataOmissions.contains($0.0) }
        for (name, value) in faults.metadataOverrides.sorted(by: { $0.key < $1.key }) {
            if let index = members.firstIndex(where: { $0.0 == name }) { members[index].1 = value } else { members.append((name, value)) }
        }
        return MockResponse.json(200, .object(members))
    }
}
