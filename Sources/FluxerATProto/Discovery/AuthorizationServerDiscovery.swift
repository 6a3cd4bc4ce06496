/// PDS (resource server) → authorization server → its metadata (atproto OAuth, "Authorization Server Discovery"):
/// RFC 9728 `/.well-known/oauth-protected-resource`, its first `authorization_servers` entry, then RFC 8414
/// `/.well-known/oauth-authorization-server` on that issuer.
struct AuthorizationServerDiscovery: Sendable {
    let fetcher: ATProtoFetcher
    let policy: ATProtoURLPolicy

    /// The protected resource metadata document (RFC 9728 §2).
    private struct ProtectedResourceDocument: Decodable {
        var resource: String?
        var authorization_servers: [String]?
    }

    /// The authorization server a PDS names.
    func issuer(forResource resource: ATProtoURL) throws(ATProtoError) -> ATProtoURL {
        let response = try fetcher.get(resource.base + "/.well-known/oauth-protected-resource", step: .protectedResource)
        guard response.status == 200 else { throw .badStatus(.protectedResource, response.status) }
        let document = try ATProtoJSON.decode(ProtectedResourceDocument.self, from: response.body, step: .protectedResource)
        // RFC 9728 §3.3: the document is about the resource it was fetched from.
        if let named = document.resource, policy.server(named) != resource { throw .invalidMetadata(.resourceMismatch) }
        guard let first = document.authorization_servers?.first else { throw .invalidMetadata(.authorizationServersMissing) }
        guard let issuer = policy.server(first) else { throw .invalidMetadata(.issuerNotOrigin) }
        return issuer
    }

    /// The validated metadata of `issuer`.
    func authorizationServer(_ issuer: ATProtoURL) throws(ATProtoError) -> ATProtoAuthorizationServer {
        let response = try fetcher.get(issuer.base + "/.well-known/oauth-authorization-server", step: .authorizationServer)
        guard response.status == 200 else { throw .badStatus(.authorizationServer, response.status) }
        let document = try ATProtoJSON.decode(AuthorizationServerMetadataDocument.self, from: response.body, step: .authorizationServer)
        return try document.validated(expected: issuer, policy: policy)
    }

    /// The authorization server for a PDS.
    func discover(resource: ATProtoURL) throws(ATProtoError) -> ATProtoAuthorizationServer {
        try authorizationServer(issuer(forResource: resource))
    }

    /// The authorization server for the configured `service` when the user gave no identifier: the service as a
    /// resource server (an entryway PDS), or, when it publishes no resource metadata (404), as the issuer itself.
    func discover(service: ATProtoURL) throws(ATProtoError) -> ATProtoAuthorizationServer {
        do {
            return try discover(resource: service)
        } catch .badStatus(.protectedResource, 404) {
            return try authorizationServer(service)
        }
    }
}
