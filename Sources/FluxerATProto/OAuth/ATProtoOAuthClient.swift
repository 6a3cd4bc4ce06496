import FluxerCrypto
import FluxerJSON

/// The client side of the AT Protocol OAuth profile (atproto OAuth specification): a confidential web client that
/// signs users in with their atproto account (Bluesky).
///
/// `start` resolves the user's identity, discovers their authorization server, pushes the authorization request
/// (PAR, PKCE S256, DPoP, `private_key_jwt`) and returns the URL to send the browser to. `complete` checks the
/// callback (`iss`, `state`), redeems the code, and verifies that the account the token names really lives on a PDS
/// served by that authorization server. Every call blocks on the transport: run it on a worker thread.
public final class ATProtoOAuthClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: ATProtoClientConfiguration
    let resolved: ATProtoResolvedConfiguration
    let environment: ATProtoEnvironment
    let fetcher: ATProtoFetcher
    let identities: IdentityResolver
    let discovery: AuthorizationServerDiscovery

    /// A client; throws when a configured URL or the scope is unusable.
    public init(configuration: ATProtoClientConfiguration, transport: any ATProtoTransport, txtResolver: any ATProtoTXTResolver,
                environment: ATProtoEnvironment = .system) throws(ATProtoConfigurationError) {
        self.configuration = configuration
        resolved = try ATProtoResolvedConfiguration(configuration)
        self.environment = environment
        fetcher = ATProtoFetcher(transport: transport)
        identities = IdentityResolver(
            handles: HandleResolver(fetcher: fetcher, txt: txtResolver, xrpcService: resolved.handleResolver),
            dids: DIDResolver(fetcher: fetcher, plcDirectory: resolved.plcDirectory),
            policy: resolved.policy)
        discovery = AuthorizationServerDiscovery(fetcher: fetcher, policy: resolved.policy)
    }

    /// The client metadata document to serve at `client_id`.
    public var clientMetadata: JSONValue {
        ATProtoClientDocuments.metadata(clientID: configuration.clientID, clientName: configuration.clientName,
                                        redirectURIs: [configuration.redirectURI], scope: configuration.scope,
                                        jwksURI: configuration.jwksURI)
    }

    /// The JWKS to serve at `jwks_uri`: the signing key, then the retired ones.
    public var jwks: JSONValue {
        ATProtoClientDocuments.jwks([(configuration.signingKey.id, configuration.signingKey.key.coseKey)] + configuration.retiredKeys)
    }

    /// The client assertion fields for a request to `issuer`.
    func assertionFields(audience issuer: String) -> [(String, String)] {
        ClientAssertion.formFields(clientID: configuration.clientID, audience: issuer, key: configuration.signingKey,
                                   environment: environment)
    }

    /// Whether a space-separated scope string grants `scope`.
    static func grants(_ scopes: String, _ scope: String) -> Bool {
        scopes.split(separator: " ").contains { $0 == scope }
    }
}
