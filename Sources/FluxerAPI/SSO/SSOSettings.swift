import HTTPClient
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
    /// Let provider accounts be linked to existing accounts. Off (the default), single sign-on reaches only the
    /// accounts it created or was linked to, and an email that an existing account uses is refused. On, a signed-in
    /// user links the provider from their account (`POST /users/@me/sso/link`, sudo), and an unverified account
    /// whose email the provider reports verified is claimed (whatever its registrant set up is wiped). A verified
    /// account is never signed in on an email match alone: its owner must sign in locally and link first.
    public var linkExistingAccounts = false
    /// Whether an ID token whose `amr` (RFC 8176) shows multi-factor authentication at the provider stands for the
    /// second factor of an account that has MFA (see `amrShowsMFA`). Off, such an account always finishes an SSO
    /// sign-in with its own second factor.
    public var trustProviderMFA = true

    public init() {}

    /// Whether the built-in dev provider is selected.
    public var isMock: Bool { issuer == "mock" }

    /// RFC 8176 methods that prove possession of a key or a one-time code.
    package static let possessionMethods: Set<String> = ["hwk", "swk", "otp", "sms", "sc"]
    /// RFC 8176 methods that are a knowledge or an inherence factor.
    package static let knowledgeOrInherenceMethods: Set<String> = ["pwd", "pin", "kba", "fpt", "face", "iris", "retina", "vbm"]

    /// Whether an `amr` claim shows multi-factor authentication: `mfa` itself, or a possession method (`hwk`,
    /// `swk`, `otp`, `sms`, `sc`) together with a knowledge or inherence method (`pwd`, `pin`, `kba`, `fpt`, `face`,
    /// `iris`, `retina`, `vbm`). A possession method alone is not enough: providers also send `otp` or `hwk` for a
    /// single-factor sign-in (an emailed code, a security key without PIN).
    package static func amrShowsMFA(_ amr: [String]) -> Bool {
        let methods = Set(amr)
        if methods.contains("mfa") { return true }
        return !methods.isDisjoint(with: possessionMethods) && !methods.isDisjoint(with: knowledgeOrInherenceMethods)
    }

    /// Whether a provider URL may be used: https, or http only in dev mode or to a loopback host (127.0.0.0/8,
    /// `localhost`, `[::1]`): the code exchange carries the client secret and the ID-token keys come over it.
    package static func isAcceptableProviderURL(_ url: String, dev: Bool) -> Bool {
        guard let host = HTTPClientRequest.host(of: url) else { return false }
        if url.lowercased().hasPrefix("https://") || dev { return true }
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { ($0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } ? Int($0) : nil).map { $0 <= 255 } ?? false }
    }
}
