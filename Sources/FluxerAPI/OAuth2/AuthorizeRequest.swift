import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain

/// A validated authorization request (RFC 6749 §4.1.1), shared by the HTML page, its form posts and the JSON
/// consent API.
package struct AuthorizeRequest: Sendable {
    package var application: Application
    package var bot: User?
    /// Where the answer goes; nil only for a bot-only request without redirect (the page shows the result).
    package var redirectURI: String?
    /// Whether the client named the redirect URI (then the token request must repeat it, RFC 6749 §4.1.3).
    package var redirectGiven: Bool
    package var state: String?
    package var scopes: [OAuthScope]
    package var codeChallenge: String?
    package var guildID: UInt64?
    package var permissions: Int64
    package var prompt: String?
    /// The parameters as received, for the hidden fields of the forms.
    package var parameters: [(String, String)]

    /// The authorize page for this request (where a sign-in on the pages returns to).
    package var pagePath: String {
        "/oauth2/authorize?" + parameters.map { "\($0.0)=\(FormURLEncoding.encode($0.1))" }.joined(separator: "&")
    }

    /// Why a request cannot proceed: before the client and redirect are trusted, an error page and never a
    /// redirect (AZ-05); after, a redirect carrying `error` and `state` (RFC 6749 §4.1.2.1, AZ-06).
    package enum Failure: Error {
        case page(String)
        case redirect(to: String, error: String, description: String, state: String?)

        /// The failure as shown to a browser whose user has not signed in: an error page even once the client and
        /// redirect are trusted, since redirecting unauthenticated users to a client's URI on demand makes this
        /// server an open redirector for every registered application (RFC 9700 §4.11.2, AZ-06, AZ-09).
        package var beforeSignIn: Failure {
            guard case .redirect(_, _, let description, _) = self else { return self }
            return .page(description)
        }
    }

    /// Whether the request says `prompt=none` (the last value, as `parse` reads it): the client asked for an
    /// answer without any page, so even before sign-in its errors are redirected (OpenID Connect Core §3.1.2.6).
    package static func asksNoPrompt(_ pairs: [(name: String, value: String)]) -> Bool {
        pairs.last { $0.name == "prompt" }?.value == "none"
    }

    package static let parameterNames: Set<String> = [
        "client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method",
        "guild_id", "permissions", "prompt", "integration_type", "disable_guild_select",
    ]

    /// Parses and validates `pairs` (query or form fields).
    package static func parse(_ pairs: [(name: String, value: String)], config: Config, in db: SQLTransaction) throws -> Result<AuthorizeRequest, Failure> {
        var values: [String: String] = [:]
        var repeated: String?
        var kept: [(String, String)] = []
        for (name, value) in pairs where parameterNames.contains(name) {
            if values[name] != nil { repeated = repeated ?? name }
            guard value.utf8.count <= 2048 else { return .failure(.page("The \(name) parameter is too long.")) }
            values[name] = value
            kept.append((name, value))
        }
        values = values.filter { !$0.value.isEmpty }
        if repeated == "client_id" || repeated == "redirect_uri" {
            return .failure(.page("The \(repeated!) parameter is repeated."))
        }
        guard let clientText = values["client_id"], let clientID = Snowflake.parse(clientText),
              let app = try ApplicationStore.find(id: clientID, in: db)
        else { return .failure(.page("This link names an application that does not exist.")) }
        let bot = try UserStore.find(id: app.id, in: db)

        let scopeText = values["scope"] ?? ""
        let parsedScopes = OAuthScope.parse(scopeText)
        let botOnly = parsedScopes == [.bot]

        // RFC 6749 §3.1.2.3: the redirect URI must be registered; it may be omitted only when one is registered.
        var redirect: String?
        var redirectGiven = false
        if let given = values["redirect_uri"] {
            guard let matched = RedirectURI.match(given, registered: app.redirectURIs) else {
                return .failure(.page("The redirect address is not registered for this application."))
            }
            redirect = matched
            redirectGiven = true
        } else if botOnly && !app.botRequireCodeGrant {
            redirect = nil
        } else if app.redirectURIs.count == 1 {
            redirect = app.redirectURIs[0]
        } else {
            return .failure(.page(app.redirectURIs.isEmpty
                ? "This application has no redirect address registered."
                : "This link must say which registered redirect address to use."))
        }

        let state = values["state"]
        func fail(_ error: String, _ description: String) -> Result<AuthorizeRequest, Failure> {
            guard let redirect else { return .failure(.page(description)) }
            return .failure(.redirect(to: redirect, error: error, description: description, state: state))
        }
        if let repeated { return fail("invalid_request", "The \(repeated) parameter is repeated.") }
        // Only the code flow (RFC 9700 §2.1.2: no implicit or hybrid).
        guard values["response_type"] == "code" || (botOnly && redirect == nil && values["response_type"] == nil) else {
            return values["response_type"] == nil
                ? fail("invalid_request", "response_type is required.")
                : fail("unsupported_response_type", "Only response_type=code is supported.")
        }
        guard !scopeText.isEmpty else { return fail("invalid_scope", "scope is required.") }
        guard let scopes = parsedScopes else { return fail("invalid_scope", "The requested scope is invalid or unknown.") }

        // PKCE (RFC 7636 §4.3; PK-02: S256 only; PK-01: required for public clients).
        let challenge = values["code_challenge"]
        if let challenge {
            guard values["code_challenge_method"] == "S256" else {
                return fail("invalid_request", "Only code_challenge_method=S256 is supported.")
            }
            guard OAuthSecret.isWellFormed(challenge) else {
                return fail("invalid_request", "code_challenge must be 43 base64url characters (S256).")
            }
        } else if values["code_challenge_method"] != nil {
            return fail("invalid_request", "code_challenge_method without code_challenge.")
        } else if app.isPublicClient || config.oauthRequirePKCE {
            return fail("invalid_request", "PKCE (code_challenge with S256) is required for this client.")
        }

        var permissions: Int64 = 0
        if let text = values["permissions"] {
            guard text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int64(text) else {
                return fail("invalid_request", "permissions must be a non-negative integer.")
            }
            permissions = n & GuildPermission.all
        }
        var guildID: UInt64?
        if let text = values["guild_id"] {
            guard let id = Snowflake.parse(text) else { return fail("invalid_request", "guild_id is not a valid id.") }
            guildID = id
        }
        if scopes.contains(.bot) && bot == nil { return fail("invalid_scope", "This application has no bot.") }
        let prompt = values["prompt"]
        if let prompt, !["none", "consent", "login"].contains(prompt) {
            return fail("invalid_request", "prompt must be none or consent.")
        }
        return .success(AuthorizeRequest(
            application: app, bot: bot, redirectURI: redirect, redirectGiven: redirectGiven, state: state, scopes: scopes,
            codeChallenge: challenge, guildID: guildID, permissions: permissions, prompt: prompt, parameters: kept))
    }

    /// `redirect_uri` with response parameters appended (keeping its own query), RFC 6749 §4.1.2; `iss` per
    /// RFC 9207.
    package static func redirectURL(_ base: String, _ parameters: [(String, String?)]) -> String {
        let query = parameters.compactMap { name, value in value.map { "\(name)=\(FormURLEncoding.encode($0))" } }.joined(separator: "&")
        return base + (base.contains("?") ? "&" : "?") + query
    }
}
