/// One enabled sign-in provider: its settings and the client that talks to it.
package final class SSOProvider: Sendable {
    /// The provider's settings; `settings.provider` is its name.
    package let settings: SSOSettings
    /// The OpenID Connect relying party for this provider.
    package let client: OIDCClient

    package init(settings: SSOSettings, client: OIDCClient) {
        self.settings = settings
        self.client = client
    }

    /// The name clients pass as `provider` (`/auth/sso/start`).
    package var name: String { settings.provider }
    /// The name people see.
    package var displayName: String { settings.displayName.isEmpty ? settings.provider : settings.displayName }
    /// `oidc` (AT Protocol providers are `atproto`).
    package var kind: String { "oidc" }
}
