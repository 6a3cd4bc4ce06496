/// An authorization server's metadata document (RFC 8414 §2), as fetched.
struct AuthorizationServerMetadataDocument: Decodable, Sendable {
    var issuer: String
    var authorization_endpoint: String
    var token_endpoint: String
    var pushed_authorization_request_endpoint: String?
    var require_pushed_authorization_requests: Bool?
    var authorization_response_iss_parameter_supported: Bool?
    var dpop_signing_alg_values_supported: [String]?
    var token_endpoint_auth_methods_supported: [String]?
    var token_endpoint_auth_signing_alg_values_supported: [String]?
    var client_id_metadata_document_supported: Bool?
    var scopes_supported: [String]?
    var response_types_supported: [String]?
    var code_challenge_methods_supported: [String]?
}

/// An authorization server that passed the atproto profile's checks: the endpoints the client uses.
struct ATProtoAuthorizationServer: Sendable, Equatable {
    /// The issuer, normalized (for comparing with what a PDS names).
    let issuer: ATProtoURL
    /// The issuer exactly as the metadata states it: RFC 9207 §2.4 compares `iss` with it by simple string
    /// comparison, and it is the client assertion's `aud`.
    let issuerIdentifier: String
    let authorizationEndpoint: ATProtoURL
    let tokenEndpoint: ATProtoURL
    let parEndpoint: ATProtoURL
}

extension AuthorizationServerMetadataDocument {
    /// The atproto OAuth specification, "Authorization Server Metadata", one rule per line, in order. `expected` is
    /// the issuer the document was fetched for (RFC 8414 §3.3: `issuer` must be identical to it).
    func validated(expected: ATProtoURL, policy: ATProtoURLPolicy) throws(ATProtoError) -> ATProtoAuthorizationServer {
        guard let issuer = policy.server(self.issuer) else { throw .invalidMetadata(.issuerNotOrigin) }
        guard issuer == expected else { throw .invalidMetadata(.issuerMismatch) }
        // RFC 9207 §3: without `iss` in the response, a mix-up attack cannot be detected.
        guard authorization_response_iss_parameter_supported == true else { throw .invalidMetadata(.issNotSupported) }
        // RFC 9126 §5: PAR required, and its endpoint given.
        guard require_pushed_authorization_requests == true else { throw .invalidMetadata(.parNotRequired) }
        guard let parText = pushed_authorization_request_endpoint, let par = endpoint(parText, policy)
        else { throw .invalidMetadata(.parEndpointMissing) }
        guard let authorization = endpoint(authorization_endpoint, policy), let token = endpoint(token_endpoint, policy)
        else { throw .invalidMetadata(.endpointInvalid) }
        // RFC 9449 §5.1: the client's proofs are ES256.
        guard dpop_signing_alg_values_supported?.contains("ES256") == true else { throw .invalidMetadata(.dpopES256Missing) }
        // RFC 7523 §2.2 client authentication with an ES256 assertion.
        guard token_endpoint_auth_methods_supported?.contains("private_key_jwt") == true
        else { throw .invalidMetadata(.privateKeyJWTMissing) }
        if let algs = token_endpoint_auth_signing_alg_values_supported, !algs.contains("ES256") {
            throw .invalidMetadata(.assertionES256Missing)
        }
        guard client_id_metadata_document_supported == true else { throw .invalidMetadata(.clientIDMetadataUnsupported) }
        guard scopes_supported?.contains("atproto") == true else { throw .invalidMetadata(.atprotoScopeMissing) }
        guard response_types_supported?.contains("code") == true else { throw .invalidMetadata(.codeResponseMissing) }
        guard code_challenge_methods_supported?.contains("S256") == true else { throw .invalidMetadata(.pkceS256Missing) }
        return ATProtoAuthorizationServer(issuer: issuer, issuerIdentifier: self.issuer, authorizationEndpoint: authorization,
                                          tokenEndpoint: token, parEndpoint: par)
    }

    private func endpoint(_ text: String, _ policy: ATProtoURLPolicy) -> ATProtoURL? {
        guard let url = ATProtoURL(text), policy.allowsEndpoint(url), url.query == nil else { return nil }
        return url
    }
}
