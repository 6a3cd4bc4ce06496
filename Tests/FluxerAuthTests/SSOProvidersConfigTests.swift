import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// Issue 14: `[sso.providers.<name>]` tables, in exactly the format the issue gives.
@Suite struct SSOProvidersConfigTests {
    static let example = """
        [sso.providers.corp]            # kind = "oidc" is the default
        kind = "oidc"
        display_name = "Corp SSO"
        issuer = "https://idp.example.com"
        authorization_url = "https://idp.example.com/authorize"
        token_url = "https://idp.example.com/token"
        userinfo_url = "https://idp.example.com/userinfo"
        jwks_url = "https://idp.example.com/jwks"
        client_id = "fluxer"
        client_secret = "s3cret"
        scope = "openid email profile"
        allowed_domains = ["Corp.example"]
        auto_provision = true
        enabled = true
        enforced = false

        [sso.providers.bluesky]
        kind = "atproto"
        display_name = "Bluesky"
        service = "https://bsky.social"
        plc_directory = "https://plc.directory"
        handle_resolver = ""
        scope = "atproto transition:generic"
        auto_provision = true
        enabled = true
        """

    func load(_ text: String, environment: [String: String] = [:], flags: [String: String] = [:]) throws(ConfigError) -> Config {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", text)
        return try ConfigLoader.load(file: dir.file("c.toml"), environment: environment, flags: flags)
    }

    func refusal(_ text: String, environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try load(text, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func issueExample_loads() throws {
        let config = try load(Self.example)
        #expect(config.ssoProviders.map(\.name) == ["bluesky", "corp"])
        guard case .oidc(let corp) = config.ssoProviders[1], case .atproto(let bluesky) = config.ssoProviders[0] else {
            Issue.record("kinds: \(config.ssoProviders)")
            return
        }
        #expect(corp.provider == "corp" && corp.displayName == "Corp SSO" && corp.issuer == "https://idp.example.com")
        #expect(corp.tokenURL == "https://idp.example.com/token" && corp.jwksURL == "https://idp.example.com/jwks")
        #expect(corp.clientID == "fluxer" && corp.clientSecret == "s3cret" && corp.allowedDomains == ["corp.example"])
        #expect(corp.enabled && !corp.enforced && corp.autoProvision)
        #expect(bluesky.displayName == "Bluesky" && bluesky.service == "https://bsky.social" && bluesky.plcDirectory == "https://plc.directory")
        #expect(bluesky.handleResolver == "" && bluesky.scope == "atproto transition:generic" && bluesky.enabled)
        #expect(config.ssoProviders.map(\.kind) == ["atproto", "oidc"])
        #expect(!config.isSSOEnforced)
    }

    @Test func kindDefaultsToOIDC_andTheFlatSwitchesAreShared() throws {
        let config = try load("""
            [sso]
            link_existing_accounts = true
            trust_provider_mfa = false
            [sso.providers.corp]
            issuer = "https://idp.example.com"
            client_id = "c"
            enforced = true
            """)
        guard case .oidc(let corp) = try #require(config.ssoProviders.first) else { Issue.record("not oidc"); return }
        #expect(corp.linkExistingAccounts && !corp.trustProviderMFA)
        #expect(config.isSSOEnforced)
    }

    @Test(arguments: [
        ("[sso.providers.corp]\nkind = \"saml\"\n", "sso.providers.corp.kind"),
        ("[sso.providers.corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\nservice = \"https://x.example\"\n", "sso.providers.corp.service"),
        ("[sso.providers.b]\nkind = \"atproto\"\nclient_id = \"c\"\n", "sso.providers.b.client_id"),
        ("[sso.providers.b]\nkind = \"atproto\"\ncolour = \"blue\"\n", "sso.providers.b.colour"),
        ("[sso.providers.Corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\n", "sso.providers.Corp.client_id"),
        ("[sso.providers.corp]\nclient_id = \"c\"\n", "sso.providers.corp.issuer"),
        ("[sso.providers.corp]\nissuer = \"https://i.example\"\n", "sso.providers.corp.client_id"),
        ("[sso.providers.corp]\nissuer = \"http://idp.example.com\"\nclient_id = \"c\"\n", "sso.providers.corp.issuer"),
        ("[sso.providers.corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\ntoken_url = \"ftp://i.example/t\"\n", "sso.providers.corp.token_url"),
        ("[sso.providers.corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\nscope = \"email\"\n", "sso.providers.corp.scope"),
        ("[sso.providers.corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\nenabled = \"yes\"\n", "sso.providers.corp.enabled"),
        ("[sso.providers.corp]\nissuer = \"mock\"\n", "sso.providers.corp.issuer"),
        ("[sso.providers.b]\nkind = \"atproto\"\nservice = \"http://bsky.example\"\n", "sso.providers.b.service"),
        ("[sso.providers.b]\nkind = \"atproto\"\nscope = \"transition:generic\"\n", "sso.providers.b.scope"),
        ("[sso.providers]\ncorp = \"x\"\n", "sso.providers.corp"),
        ("[sso]\nenabled = true\nissuer = \"https://i.example\"\nclient_id = \"c\"\n[sso.providers.oidc]\nissuer = \"https://j.example\"\nclient_id = \"c\"\n",
         "sso.providers.oidc"),
    ])
    func badProvider_refusedNamingTheKey(text: String, key: String) {
        let error = refusal(text)
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.description.contains("\n") == false)
    }

    @Test func loopbackHTTP_isAllowed_forTests() throws {
        for host in ["127.0.0.1:9", "[::1]:9", "localhost:9"] {
            let config = try load("[sso.providers.b]\nkind = \"atproto\"\nservice = \"http://\(host)\"\nplc_directory = \"http://\(host)/plc\"\n")
            guard case .atproto(let b) = try #require(config.ssoProviders.first) else { Issue.record("kind"); continue }
            #expect(b.service == "http://\(host)")
        }
    }

    @Test func environment_overridesANamedProvidersKeys() throws {
        let config = try load("[sso.providers.my-corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\n", environment: [
            "FLUXER_AUTH_SSO_PROVIDERS_MY_CORP_CLIENT_SECRET": "from-env",
            "FLUXER_AUTH_SSO_PROVIDERS_MY_CORP_ENABLED": "false",
            "FLUXER_AUTH_SSO_PROVIDERS_MY_CORP_ALLOWED_DOMAINS": "a.example, b.example",
        ])
        guard case .oidc(let corp) = try #require(config.ssoProviders.first) else { Issue.record("kind"); return }
        #expect(corp.clientSecret == "from-env" && !corp.enabled && corp.allowedDomains == ["a.example", "b.example"])
        let error = refusal("[sso.providers.c]\nissuer = \"https://i.example\"\nclient_id = \"c\"\n",
                            environment: ["FLUXER_AUTH_SSO_PROVIDERS_C_ENFORCED": "perhaps"])
        #expect(error?.key == "sso.providers.c.enforced")
    }

    @Test func tooManyProviders_refused() {
        let text = (0...SSOProviderKeys.maxProviders).map { "[sso.providers.p\($0)]\nkind = \"atproto\"\n" }.joined()
        #expect(refusal(text)?.key == "sso.providers")
    }

    /// A secret in a named provider's table never reaches an error line.
    @Test func clientSecret_neverInTheError() {
        let error = refusal("[sso.providers.corp]\nissuer = \"https://i.example\"\nclient_id = \"c\"\nclient_secret = \"hunter2-secret\"\nbogus = 1\n")
        #expect(error?.key == "sso.providers.corp.bogus")
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func appURL_keyIsChecked() throws {
        #expect(try load("[sso]\napp_url = \"https://app.example/\"\n").ssoAppURL == "https://app.example")
        #expect(refusal("[sso]\napp_url = \"https://app.example/?x=1\"\n")?.key == "sso.app_url")
        #expect(refusal("[sso]\napp_url = \"javascript:alert(1)\"\n")?.key == "sso.app_url")
    }
}
