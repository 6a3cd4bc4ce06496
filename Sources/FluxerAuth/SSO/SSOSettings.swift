/// The `[sso]` configuration: one instance-wide OpenID Connect provider (the real server's model), named so the
/// guide's `provider` field has something to match. `issuer = "mock"` in dev mode selects the built-in provider
/// served under `/_dev/sso` (any email signs in; nothing leaves the machine).
public struct SSOSettings: Sendable, Equatable {
    public var enabled = false
    public var enforced = false
    public var provider = "oidc"
    public var displayName = ""
    public var issuer = ""
    public var authorizationURL = ""
    public var tokenURL = ""
    public var jwksURL = ""
    public var userinfoURL = ""
    public var clientID = ""
    public var clientSecret = ""
    public var scope = "openid email profile"
    public var redirectURI = ""
    public var allowedDomains: [String] = []
    public var autoProvision = true
    /// Sign in an existing account whose email the provider reports as verified (the real server does). Only for
    /// a provider that truly verifies emails: one that lets people claim any address would hand out accounts.
    public var linkExistingAccounts = true

    public init() {}

    /// Whether the built-in dev provider is selected.
    public var isMock: Bool { issuer == "mock" }
}
