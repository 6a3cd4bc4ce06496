@testable import FluxerATProto
import FluxerJSON
import Testing

/// RFC 9728 → RFC 8414 discovery, and the atproto profile's metadata rules.
@Suite struct AuthorizationServerDiscoveryTests {
    let transport = ScriptedTransport()
    var discovery: AuthorizationServerDiscovery {
        AuthorizationServerDiscovery(fetcher: ATProtoFetcher(transport: transport), policy: ATProtoURLPolicy())
    }
    let pds = ATProtoURL(Documents.pds)!
    let issuer = ATProtoURL(Documents.issuer)!

    func serve(resource: JSONValue? = nil, metadata: JSONValue = Documents.authorizationServer()) {
        transport.json(Documents.pds + "/.well-known/oauth-protected-resource",
                       resource ?? ["resource": .string(Documents.pds), "authorization_servers": [.string(Documents.issuer)]])
        transport.json(Documents.issuer + "/.well-known/oauth-authorization-server", metadata)
    }

    func validate(_ metadata: JSONValue) -> ATProtoError? {
        serve(metadata: metadata)
        return error { try discovery.discover(resource: pds) }
    }

    @Test func discover_followsThePDSToItsAuthorizationServer() throws {
        serve()
        let server = try discovery.discover(resource: pds)
        #expect(server.issuer == issuer)
        #expect(server.parEndpoint.description == Documents.issuer + "/oauth/par")
        #expect(server.tokenEndpoint.description == Documents.issuer + "/oauth/token")
        #expect(server.authorizationEndpoint.description == Documents.issuer + "/oauth/authorize")
    }

    @Test func protectedResource_aboutAnotherResource_isRefused() {
        serve(resource: ["resource": "https://other.example.com", "authorization_servers": [.string(Documents.issuer)]])
        #expect(error { try discovery.discover(resource: pds) } == .invalidMetadata(.resourceMismatch))
    }

    @Test func protectedResource_withoutAuthorizationServers_isRefused() {
        serve(resource: ["resource": .string(Documents.pds), "authorization_servers": []])
        #expect(error { try discovery.discover(resource: pds) } == .invalidMetadata(.authorizationServersMissing))
        serve(resource: ["resource": .string(Documents.pds), "authorization_servers": ["http://auth.example.com"]])
        #expect(error { try discovery.discover(resource: pds) } == .invalidMetadata(.issuerNotOrigin))
    }

    @Test func service_withoutResourceMetadata_isTakenAsTheIssuer() throws {
        transport.json(Documents.issuer + "/.well-known/oauth-protected-resource", [:], status: 404)
        transport.json(Documents.issuer + "/.well-known/oauth-authorization-server", Documents.authorizationServer())
        #expect(try discovery.discover(service: issuer).issuer == issuer)
        transport.json(Documents.issuer + "/.well-known/oauth-protected-resource", [:], status: 500)
        #expect(error { try discovery.discover(service: issuer) } == .badStatus(.protectedResource, 500))
    }

    @Test func metadata_issuerMustBeTheOneFetched() {
        #expect(validate(Documents.authorizationServer("https://other.example.com")) == .invalidMetadata(.issuerMismatch))
        #expect(validate(Documents.authorizationServer(replacing: ["issuer": "https://auth.example.com/tenant"])) == .invalidMetadata(.issuerNotOrigin))
        #expect(validate(Documents.authorizationServer(replacing: ["issuer": "http://auth.example.com"])) == .invalidMetadata(.issuerNotOrigin))
        #expect(validate(Documents.authorizationServer(replacing: ["issuer": "https://auth.example.com/"])) == nil)
    }

    @Test func metadata_mustSupportTheIssParameter() {
        #expect(validate(Documents.authorizationServer(replacing: ["authorization_response_iss_parameter_supported": false])) == .invalidMetadata(.issNotSupported))
        #expect(validate(Documents.authorizationServer(omitting: ["authorization_response_iss_parameter_supported"])) == .invalidMetadata(.issNotSupported))
    }

    @Test func metadata_mustRequirePAR_andNameItsEndpoint() {
        #expect(validate(Documents.authorizationServer(replacing: ["require_pushed_authorization_requests": false])) == .invalidMetadata(.parNotRequired))
        #expect(validate(Documents.authorizationServer(omitting: ["pushed_authorization_request_endpoint"])) == .invalidMetadata(.parEndpointMissing))
        #expect(validate(Documents.authorizationServer(replacing: ["pushed_authorization_request_endpoint": "http://auth.example.com/par"])) == .invalidMetadata(.parEndpointMissing))
    }

    @Test func metadata_endpointsMustBeHTTPS() {
        #expect(validate(Documents.authorizationServer(replacing: ["token_endpoint": "http://auth.example.com/token"])) == .invalidMetadata(.endpointInvalid))
        #expect(validate(Documents.authorizationServer(replacing: ["authorization_endpoint": "https://auth.example.com/a#f"])) == .invalidMetadata(.endpointInvalid))
    }

    @Test func metadata_mustOfferES256DPoP() {
        #expect(validate(Documents.authorizationServer(replacing: ["dpop_signing_alg_values_supported": ["RS256"]])) == .invalidMetadata(.dpopES256Missing))
        #expect(validate(Documents.authorizationServer(omitting: ["dpop_signing_alg_values_supported"])) == .invalidMetadata(.dpopES256Missing))
    }

    @Test func metadata_mustOfferPrivateKeyJWTWithES256() {
        #expect(validate(Documents.authorizationServer(replacing: ["token_endpoint_auth_methods_supported": ["none"]])) == .invalidMetadata(.privateKeyJWTMissing))
        #expect(validate(Documents.authorizationServer(replacing: ["token_endpoint_auth_signing_alg_values_supported": ["RS256"]])) == .invalidMetadata(.assertionES256Missing))
    }

    @Test func metadata_mustSupportClientIDMetadataDocuments() {
        #expect(validate(Documents.authorizationServer(replacing: ["client_id_metadata_document_supported": false])) == .invalidMetadata(.clientIDMetadataUnsupported))
    }

    @Test func metadata_mustOfferTheATProtoScope_codeResponsesAndS256() {
        #expect(validate(Documents.authorizationServer(replacing: ["scopes_supported": ["openid"]])) == .invalidMetadata(.atprotoScopeMissing))
        #expect(validate(Documents.authorizationServer(replacing: ["response_types_supported": ["token"]])) == .invalidMetadata(.codeResponseMissing))
        #expect(validate(Documents.authorizationServer(replacing: ["code_challenge_methods_supported": ["plain"]])) == .invalidMetadata(.pkceS256Missing))
    }

    @Test func metadata_ofTheWrongTypes_isMalformed() {
        #expect(validate(Documents.authorizationServer(replacing: ["require_pushed_authorization_requests": "true"])) == .malformed(.authorizationServer))
        #expect(validate(["issuer": .string(Documents.issuer)]) == .malformed(.authorizationServer))
    }
}
