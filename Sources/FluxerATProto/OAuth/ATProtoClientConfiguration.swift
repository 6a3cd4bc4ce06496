import FluxerCrypto

/// How one atproto provider is configured (issue 14's `[sso.providers.<name>]` with `kind = "atproto"`, plus the
/// client's own identity).
public struct ATProtoClientConfiguration: Sendable {
    /// The URL of our client metadata document, which is our `client_id`.
    public var clientID: String
    /// Shown by the authorization server on its consent screen.
    public var clientName: String
    /// Where the authorization server sends the browser back.
    public var redirectURI: String
    /// The scope requested; must include `atproto`.
    public var scope: String
    /// Where our JWKS is published.
    public var jwksURI: String
    /// Our current `private_key_jwt` signing key.
    public var signingKey: ATProtoClientKey
    /// Keys retired from signing but still published in the JWKS.
    public var retiredKeys: [(id: String, publicKey: COSEKey)]
    /// The PLC directory (`https://plc.directory`).
    public var plcDirectory: String
    /// An XRPC service answering `com.atproto.identity.resolveHandle`; nil for DNS and HTTPS resolution.
    public var handleResolver: String?
    /// The entryway used when the user gives no identifier (`https://bsky.social`).
    public var service: String
    /// Origins (`http://host:port`) allowed `http` and path-prefixed servers, like loopback (a development stack
    /// reached by a non-loopback name).
    public var developmentOrigins: [String]

    /// A configuration from its parts.
    public init(clientID: String, clientName: String, redirectURI: String, scope: String = "atproto transition:generic",
                jwksURI: String, signingKey: ATProtoClientKey, retiredKeys: [(id: String, publicKey: COSEKey)] = [],
                plcDirectory: String = "https://plc.directory", handleResolver: String? = nil,
                service: String = "https://bsky.social", developmentOrigins: [String] = []) {
        self.clientID = clientID
        self.clientName = clientName
        self.redirectURI = redirectURI
        self.scope = scope
        self.jwksURI = jwksURI
        self.signingKey = signingKey
        self.retiredKeys = retiredKeys
        self.plcDirectory = plcDirectory
        self.handleResolver = handleResolver
        self.service = service
        self.developmentOrigins = developmentOrigins
    }
}

/// A configuration value the client refuses; `key` names it (in the config file's spelling) for the one-line
/// start-up error.
public struct ATProtoConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `client_id`, `redirect_uri`, `scope`, `jwks_uri`, `plc_directory`, `handle_resolver`, `service` or
    /// `development_origins`.
    public let key: String

    /// One line for the start-up error.
    public var description: String { "invalid atproto provider setting: \(key)" }
}

/// The configuration, parsed once.
struct ATProtoResolvedConfiguration: Sendable {
    let policy: ATProtoURLPolicy
    let plcDirectory: ATProtoURL
    let handleResolver: ATProtoURL?
    let service: ATProtoURL

    init(_ c: ATProtoClientConfiguration) throws(ATProtoConfigurationError) {
        var origins: Set<String> = []
        for text in c.developmentOrigins {
            guard let url = ATProtoURL(text), url.path.isEmpty, url.query == nil, url.fragment == nil
            else { throw ATProtoConfigurationError(key: "development_origins") }
            origins.insert(url.origin)
        }
        let policy = ATProtoURLPolicy(developmentOrigins: origins)
        func endpoint(_ text: String, _ key: String) throws(ATProtoConfigurationError) -> ATProtoURL {
            guard let url = ATProtoURL(text), policy.allowsEndpoint(url), url.query == nil else { throw ATProtoConfigurationError(key: key) }
            return url
        }
        _ = try endpoint(c.clientID, "client_id")
        _ = try endpoint(c.redirectURI, "redirect_uri")
        _ = try endpoint(c.jwksURI, "jwks_uri")
        guard c.scope.split(separator: " ").contains("atproto") else { throw ATProtoConfigurationError(key: "scope") }
        plcDirectory = try endpoint(c.plcDirectory, "plc_directory")
        handleResolver = try c.handleResolver.flatMap { text throws(ATProtoConfigurationError) in
            text.isEmpty ? nil : try endpoint(text, "handle_resolver")
        }
        guard let service = policy.server(c.service) else { throw ATProtoConfigurationError(key: "service") }
        self.service = service
        self.policy = policy
    }
}
