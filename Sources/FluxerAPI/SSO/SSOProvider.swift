import FluxerATProto
import Synchronization

/// One enabled sign-in provider: its settings and the client that talks to it.
package final class SSOProvider: Sendable {
    /// How the provider is reached.
    package enum Upstream: Sendable {
        /// OpenID Connect (authorization code + PKCE + nonce).
        case oidc(OIDCClient)
        /// AT Protocol OAuth (PAR, DPoP, private_key_jwt): Sign in with Bluesky.
        case atproto(ATProtoUpstream)
    }

    /// The provider's settings; `settings.provider` is its name. For an atproto provider only the name, display
    /// name, `enabled` and `auto_provision` mean something here (the rest is in `ATProtoUpstream.settings`).
    package let settings: SSOSettings
    package let upstream: Upstream

    package init(settings: SSOSettings, client: OIDCClient) {
        self.settings = settings
        upstream = .oidc(client)
    }

    package init(atproto: ATProtoUpstream) {
        var settings = SSOSettings()
        settings.enabled = atproto.settings.enabled
        settings.provider = atproto.settings.name
        settings.displayName = atproto.settings.displayName
        settings.autoProvision = atproto.settings.autoProvision
        settings.scope = atproto.settings.scope
        self.settings = settings
        upstream = .atproto(atproto)
    }

    /// The name clients pass as `provider` (`/auth/sso/start`).
    package var name: String { settings.provider }
    /// The name people see.
    package var displayName: String { settings.displayName.isEmpty ? settings.provider : settings.displayName }
    /// `oidc` or `atproto`.
    package var kind: String {
        switch upstream {
        case .oidc: "oidc"
        case .atproto: "atproto"
        }
    }

    /// The OpenID Connect client, for an OIDC provider.
    package var oidc: OIDCClient? {
        if case .oidc(let client) = upstream { return client }
        return nil
    }

    /// The AT Protocol client, for an atproto provider.
    package var atproto: ATProtoUpstream? {
        if case .atproto(let upstream) = upstream { return upstream }
        return nil
    }
}

/// An atproto provider's client, made on first use: its `client_id`, redirect URI and JWKS URL name the address the
/// server is reached at, which (with port 0) is known only once it listens, and its signing keys come from the
/// database.
package final class ATProtoUpstream: Sendable {
    package let settings: ATProtoProviderSettings
    private let made = Mutex<(client: ATProtoOAuthClient, keys: String)?>(nil)

    package init(settings: ATProtoProviderSettings) {
        self.settings = settings
    }

    /// The client for the key set `keys` (the signing key's id and every published id), made by `make` the first
    /// time and again when the keys change (a rotation). A failure is not remembered: the next request tries again.
    package func client(keys: String, _ make: () throws -> ATProtoOAuthClient) throws -> ATProtoOAuthClient {
        try made.withLock { made in
            if let made, made.keys == keys { return made.client }
            let client = try make()
            made = (client, keys)
            return client
        }
    }
}
