import HTTPClient
import FluxerDomain

/// An AT Protocol OAuth provider (`[sso.providers.<name>]` with `kind = "atproto"`): Sign in with Bluesky, or any
/// PDS's authorization server. We are a confidential client whose `client_id` is our metadata document's URL.
public struct ATProtoProviderSettings: Sendable, Equatable {
    public var name: String
    public var displayName = ""
    /// The entryway used when the user gives no handle (`https://bsky.social`).
    public var service = "https://bsky.social"
    /// Where `did:plc` documents are resolved.
    public var plcDirectory = "https://plc.directory"
    /// Optional XRPC service for `com.atproto.identity.resolveHandle` (empty: DNS TXT, then HTTPS well-known).
    public var handleResolver = ""
    public var scope = "atproto transition:generic"
    public var autoProvision = true
    public var enabled = true

    public init(name: String) { self.name = name }

    /// The hosts named by this provider's own configuration: trusted by the outbound address policy even when
    /// they are loopback or private, so a whole stack on 127.0.0.1 works in tests (DESIGN.md "SSO").
    package var configuredHosts: Set<String> {
        Set([service, plcDirectory, handleResolver].compactMap { SSOProviderKeys.host(of: $0) })
    }
}

/// One named provider.
public enum SSOProviderConfig: Sendable, Equatable {
    /// OpenID Connect: the same settings as the flat `[sso]` table, named.
    case oidc(SSOSettings)
    /// AT Protocol OAuth (Bluesky).
    case atproto(ATProtoProviderSettings)

    /// The provider's name (`/auth/sso/start {provider}`).
    public var name: String {
        switch self {
        case .oidc(let s): s.provider
        case .atproto(let s): s.name
        }
    }

    /// `oidc` or `atproto`.
    public var kind: String {
        switch self {
        case .oidc: "oidc"
        case .atproto: "atproto"
        }
    }

    public var isEnabled: Bool {
        switch self {
        case .oidc(let s): s.enabled
        case .atproto(let s): s.enabled
        }
    }

    public var displayName: String {
        switch self {
        case .oidc(let s): s.displayName.isEmpty ? s.provider : s.displayName
        case .atproto(let s): s.displayName.isEmpty ? s.name : s.displayName
        }
    }
}

/// The keys of `[sso.providers.<name>]` tables. Every key of a table is known or refused (exit 2, the key named);
/// `kind` chooses the key set and is checked first, whatever order the file lists the keys in. A provider's keys
/// are set by the file; the environment overrides them one by one as
/// `FLUXER_AUTH_SSO_PROVIDERS_<NAME>_<KEY>` (the name upper-cased, `-` as `_`) for providers the file names.
package enum SSOProviderKeys {
    package static let prefix = "sso.providers."
    package static let maxProviders = 16

    package static let oidcKeys: Set<String> = [
        "kind", "display_name", "issuer", "authorization_url", "token_url", "userinfo_url", "jwks_url", "client_id",
        "client_secret", "scope", "allowed_domains", "auto_provision", "enabled", "enforced",
    ]
    package static let atprotoKeys: Set<String> = [
        "kind", "display_name", "service", "plc_directory", "handle_resolver", "scope", "auto_provision", "enabled",
    ]
    package static let listKeys: Set<String> = ["allowed_domains"]
    package static let boolKeys: Set<String> = ["auto_provision", "enabled", "enforced"]

    /// A provider name: 1–32 of `a-z 0-9 -` (it appears in URLs and in `/auth/sso/start`).
    package static func isValidName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// The environment variable overriding `key` of provider `name`.
    package static func environmentName(provider name: String, key: String) -> String {
        "FLUXER_AUTH_SSO_PROVIDERS_" + (name + "_" + key).uppercased().map { $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }

    /// Splits `sso.providers.<name>.<key>` into its parts; nil for any other shape.
    package static func split(_ dotted: String) -> (name: String, key: String)? {
        guard dotted.hasPrefix(prefix) else { return nil }
        let parts = dotted.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The providers described by `values` (every `sso.providers.*` key of the file), with `environment` applied.
    /// `flat` lends the named OIDC providers the instance-wide switches (linking, provider MFA, redirect URI).
    package static func build(_ values: [String: ConfigValue], environment: [String: String], flat: SSOSettings,
                              dev: Bool) throws(ConfigError) -> [SSOProviderConfig] {
        var tables: [String: [String: ConfigValue]] = [:]
        for dotted in values.keys.sorted() {
            let value = values[dotted]!
            guard let (name, key) = split(dotted) else {
                throw ConfigError(key: dotted, reason: "must be a key of a [sso.providers.<name>] table")
            }
            guard isValidName(name) else {
                throw ConfigError(key: dotted, reason: "provider names are 1-32 characters of a-z, 0-9 and -")
            }
            tables[name, default: [:]][key] = value
        }
        guard tables.count <= maxProviders else {
            throw ConfigError(key: "sso.providers", reason: "at most \(maxProviders) providers")
        }
        var providers: [SSOProviderConfig] = []
        for name in tables.keys.sorted() {
            var table = tables[name]!
            let kindKey = prefix + name + ".kind"
            var kind = "oidc"
            if let raw = environment[environmentName(provider: name, key: "kind")] {
                kind = raw
            } else if let value = table["kind"] {
                guard case .string(let s) = value else { throw ConfigError(key: kindKey, reason: "must be a string") }
                kind = s
            }
            let allowed: Set<String>
            switch kind {
            case "oidc": allowed = oidcKeys
            case "atproto": allowed = atprotoKeys
            default: throw ConfigError(key: kindKey, reason: "must be \"oidc\" or \"atproto\"")
            }
            for key in table.keys.sorted() where !allowed.contains(key) {
                throw ConfigError(key: prefix + name + "." + key, reason: "unknown key for a provider of kind \(kind)")
            }
            for key in allowed.sorted() where key != "kind" {
                guard let raw = environment[environmentName(provider: name, key: key)] else { continue }
                table[key] = listKeys.contains(key)
                    ? .array(raw.split(separator: ",").map { .string($0.trimmingASCIIWhitespace()) })
                    : boolKeys.contains(key) ? .bool(try parseBool(raw, key: prefix + name + "." + key)) : .string(raw)
            }
            providers.append(kind == "oidc"
                ? .oidc(try oidc(name, table, flat: flat, dev: dev))
                : .atproto(try atproto(name, table, dev: dev)))
        }
        return providers
    }

    private static func parseBool(_ raw: String, key: String) throws(ConfigError) -> Bool {
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw ConfigError(key: key, reason: "must be true or false")
        }
    }

    private static func string(_ table: [String: ConfigValue], _ key: String, _ full: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard case .string(let s) = value else { throw ConfigError(key: full, reason: "must be a string") }
        guard s.utf8.count <= 2048 else { throw ConfigError(key: full, reason: "must be at most 2048 bytes") }
        return s
    }

    private static func bool(_ table: [String: ConfigValue], _ key: String, _ full: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard case .bool(let b) = value else { throw ConfigError(key: full, reason: "must be true or false") }
        return b
    }

    /// A provider URL: https, or http to a loopback host (`127.0.0.1`, `[::1]`, `localhost`), which tests use.
    private static func url(_ table: [String: ConfigValue], _ key: String, _ full: String, dev: Bool) throws(ConfigError) -> String? {
        guard let s = try string(table, key, full), !s.isEmpty else { return nil }
        guard host(of: s) != nil, SSOSettings.isAcceptableProviderURL(s, dev: false) else {
            throw ConfigError(key: full, reason: "must be an https URL (http only for a loopback host)")
        }
        return s
    }

    private static func oidc(_ name: String, _ table: [String: ConfigValue], flat: SSOSettings, dev: Bool) throws(ConfigError) -> SSOSettings {
        let at = prefix + name + "."
        var s = SSOSettings()
        s.provider = name
        s.enabled = try bool(table, "enabled", at + "enabled") ?? true
        s.enforced = try bool(table, "enforced", at + "enforced") ?? false
        s.autoProvision = try bool(table, "auto_provision", at + "auto_provision") ?? true
        s.displayName = try string(table, "display_name", at + "display_name") ?? ""
        s.issuer = try string(table, "issuer", at + "issuer") ?? ""
        if s.issuer == "mock" {
            guard dev else { throw ConfigError(key: at + "issuer", reason: "\"mock\" (the built-in provider) is for dev mode only") }
        } else {
            guard !s.issuer.isEmpty else { throw ConfigError(key: at + "issuer", reason: "required") }
            s.issuer = try url(table, "issuer", at + "issuer", dev: dev) ?? ""
        }
        s.authorizationURL = try url(table, "authorization_url", at + "authorization_url", dev: dev) ?? ""
        s.tokenURL = try url(table, "token_url", at + "token_url", dev: dev) ?? ""
        s.userinfoURL = try url(table, "userinfo_url", at + "userinfo_url", dev: dev) ?? ""
        s.jwksURL = try url(table, "jwks_url", at + "jwks_url", dev: dev) ?? ""
        s.clientID = try string(table, "client_id", at + "client_id") ?? ""
        if s.clientID.isEmpty && !s.isMock { throw ConfigError(key: at + "client_id", reason: "required") }
        s.clientSecret = try string(table, "client_secret", at + "client_secret") ?? ""
        if let scope = try string(table, "scope", at + "scope") {
            guard scope.split(separator: " ").contains("openid") else { throw ConfigError(key: at + "scope", reason: "must include openid") }
            s.scope = scope
        }
        if let value = table["allowed_domains"] {
            guard case .array(let items) = value else { throw ConfigError(key: at + "allowed_domains", reason: "must be an array of strings") }
            var domains: [String] = []
            for item in items {
                guard case .string(let d) = item, !d.isEmpty, d.utf8.count <= 253 else {
                    throw ConfigError(key: at + "allowed_domains", reason: "must be an array of domain names")
                }
                domains.append(d.lowercased())
            }
            s.allowedDomains = domains
        }
        s.redirectURI = flat.redirectURI
        s.linkExistingAccounts = flat.linkExistingAccounts
        s.trustProviderMFA = flat.trustProviderMFA
        return s
    }

    private static func atproto(_ name: String, _ table: [String: ConfigValue], dev: Bool) throws(ConfigError) -> ATProtoProviderSettings {
        let at = prefix + name + "."
        var s = ATProtoProviderSettings(name: name)
        s.enabled = try bool(table, "enabled", at + "enabled") ?? true
        s.autoProvision = try bool(table, "auto_provision", at + "auto_provision") ?? true
        s.displayName = try string(table, "display_name", at + "display_name") ?? ""
        s.service = try url(table, "service", at + "service", dev: dev) ?? s.service
        s.plcDirectory = try url(table, "plc_directory", at + "plc_directory", dev: dev) ?? s.plcDirectory
        s.handleResolver = try url(table, "handle_resolver", at + "handle_resolver", dev: dev) ?? ""
        if let scope = try string(table, "scope", at + "scope") {
            guard scope.split(separator: " ").contains("atproto") else { throw ConfigError(key: at + "scope", reason: "must include atproto") }
            s.scope = scope
        }
        return s
    }

    /// The host of an http(s) URL, lower-cased, without brackets; nil when it is not one.
    package static func host(of url: String) -> String? {
        HTTPClientRequest.host(of: url)
    }
}
