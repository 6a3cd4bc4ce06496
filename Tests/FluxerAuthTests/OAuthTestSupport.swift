import FluxerPersistence
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import HTTPServer
import SQLite
import FluxerDomain

/// Helpers for the OAuth2 provider tests (`OAuth*Tests.swift`): a running app with a hand-moved clock, form
/// posts, client credentials, the JSON consent shortcut to get codes, token exchanges, and a small cookie jar
/// for the browser flow.

/// The redirect URI every test client registers by default.
let oauthRedirect = "https://client.example/cb"

/// RFC 7636 Appendix B.
let pkceVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
let pkceChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/// How a client authenticates at the token, revocation and introspection endpoints.
struct OAuthClient {
    var id: String
    /// nil for a public client.
    var secret: String?
    /// `client_secret_basic` instead of `client_secret_post`.
    var basic = false

    var usingBasic: OAuthClient { var c = self; c.basic = true; return c }
}

/// `application/x-www-form-urlencoded` encoding of pairs (order kept, repeats allowed).
func formBody(_ pairs: [(String, String)]) -> String {
    pairs.map { "\(FormURLEncoding.encode($0.0))=\(FormURLEncoding.encode($0.1))" }.joined(separator: "&")
}

/// The query parameters of a URL (first value of each name).
func queryParameters(_ url: String) -> [String: String] {
    guard let items = URLComponents(string: url)?.queryItems else { return [:] }
    var out: [String: String] = [:]
    for item in items where out[item.name] == nil { out[item.name] = item.value ?? "" }
    return out
}

/// Whether `s` is an unpadded base64url encoding of 32 bytes (43 characters).
func isTokenShaped(_ s: String?) -> Bool {
    guard let s else { return false }
    return s.count == 43 && Base64URL.decode(s)?.count == 32 && !s.contains("=")
}

/// A running app with a test clock and the OAuth helpers.
final class OAuthHarness {
    let running: RunningApp
    let clock: TestClock

    init(configure: (inout Config) -> Void = { _ in }) throws {
        let clock = TestClock()
        self.clock = clock
        running = try RunningApp(configure: configure, clock: clock.function)
    }

    var port: Int { running.port }
    var database: DataStore { running.app.context.database }
    var config: Config { running.app.context.config }
    var issuer: String { config.effectivePublicURL }

    func stop() { running.stop() }

    // MARK: - Requests

    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil) -> TestResponse {
        TestClient.request(port: port, method, path, headers: headers, body: body ?? (method == "POST" ? "" : nil))
    }

    /// A GET (or other body-less call) with an `Authorization` value.
    func get(_ path: String, auth: String? = nil, method: String = "GET") -> TestResponse {
        request(method, path, headers: auth.map { [("Authorization", $0)] } ?? [])
    }

    /// A form POST.
    func form(_ path: String, _ pairs: [(String, String)], headers: [(String, String)] = []) -> TestResponse {
        request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: formBody(pairs))
    }

    /// A form POST authenticated as `client` (Basic header or body fields).
    func clientForm(_ path: String, _ pairs: [(String, String)], client: OAuthClient?, headers: [(String, String)] = []) -> TestResponse {
        var pairs = pairs
        var headers = headers
        if let client {
            if client.basic {
                let raw = FormURLEncoding.encode(client.id) + ":" + FormURLEncoding.encode(client.secret ?? "")
                headers.append(("Authorization", "Basic " + Data(raw.utf8).base64EncodedString()))
            } else {
                pairs.append(("client_id", client.id))
                if let secret = client.secret { pairs.append(("client_secret", secret)) }
            }
        }
        return form(path, pairs, headers: headers)
    }

    func token(_ pairs: [(String, String)], client: OAuthClient?) -> TestResponse {
        clientForm("/oauth2/token", pairs, client: client)
    }

    /// `grant_type=authorization_code`.
    func exchange(_ code: String, client: OAuthClient?, redirect: String? = oauthRedirect, verifier: String? = nil) -> TestResponse {
        var pairs = [("grant_type", "authorization_code"), ("code", code)]
        if let redirect { pairs.append(("redirect_uri", redirect)) }
        if let verifier { pairs.append(("code_verifier", verifier)) }
        return token(pairs, client: client)
    }

    /// `grant_type=refresh_token`.
    func refresh(_ refreshToken: String, client: OAuthClient?, scope: String? = nil) -> TestResponse {
        var pairs = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        if let scope { pairs.append(("scope", scope)) }
        return token(pairs, client: client)
    }

    func revoke(_ token: String, client: OAuthClient?, hint: String? = nil) -> TestResponse {
        var pairs = [("token", token)]
        if let hint { pairs.append(("token_type_hint", hint)) }
        return clientForm("/oauth2/token/revoke", pairs, client: client)
    }

    func introspect(_ token: String, client: OAuthClient?) -> TestResponse {
        clientForm("/oauth2/introspect", [("token", token)], client: client)
    }

    /// Whether introspection says the token is active.
    func isActive(_ token: String, client: OAuthClient) -> Bool {
        jsonObject(introspect(token, client: client).body)["active"] as? Bool == true
    }

    // MARK: - Users, apps, guilds

    func user(_ name: String) -> TestUser { running.registerUser(name) }

    /// A confidential client created through `POST /oauth2/applications`.
    func confidentialApp(owner: TestUser, name: String = "Acme Client", redirectURIs: [String] = [oauthRedirect]) -> (CreatedApp, OAuthClient) {
        let app = running.createApp(owner: owner, name: name, redirectURIs: redirectURIs)
        return (app, OAuthClient(id: app.id, secret: app.clientSecret))
    }

    /// A public client (no secret) made with `AppCommands.create(..., publicClient: true)` on the same database.
    func publicApp(owner: TestUser, name: String = "Native App", redirectURIs: [String] = [oauthRedirect]) throws -> OAuthClient {
        let output = try AppCommands.create(config: config, owner: owner.id, name: name, redirectURIs: redirectURIs, botPublic: true,
                                            publicClient: true)
        let object = jsonObject(output)
        #expect(object["public_client"] as? Bool == true)
        #expect(object["client_secret"] is NSNull)
        return OAuthClient(id: try #require(object["client_id"] as? String), secret: nil)
    }

    /// Sets `bot_public` of an application directly.
    func setBotPublic(_ appID: String, _ value: Bool) throws {
        _ = try database.write { db in try db.run("UPDATE applications SET bot_public = ? WHERE id = ?", value, Int64(appID)!) }
    }

    /// A guild owned by `owner` (through `GuildStore` on the app's database).
    func guild(owner: TestUser, name: String = "The Guild") throws -> UInt64 {
        let id = try running.app.context.snowflakes.next()
        _ = try database.write { db in try GuildStore.create(id: id, name: name, ownerID: UInt64(owner.id)!, now: clock.now, in: db) }
        return id
    }

    func addMember(guild: UInt64, user: String, permissions: Int64) throws {
        try database.write { db in
            try GuildStore.addMember(guildID: guild, userID: UInt64(user)!, permissions: permissions, source: "TEST", now: clock.now, in: db)
        }
    }

    func memberPermissions(guild: UInt64, user: String) throws -> Int64? {
        try database.read { db in try GuildStore.permissions(guildID: guild, userID: UInt64(user)!, in: db) }
    }

    func count(_ table: String, where condition: String = "TRUE") throws -> Int64 {
        try database.read { db in try db.queryOne("SELECT count(*) AS n FROM \(table) WHERE \(condition)")?.int("n") ?? -1 }
    }

    // MARK: - Codes and tokens

    /// `POST /oauth2/authorize/consent` (JSON, the user's session token).
    func consent(_ user: TestUser, _ fields: [String: String]) -> TestResponse {
        request("POST", "/oauth2/authorize/consent", headers: [("Authorization", user.token), ("Content-Type", "application/json")],
                body: jsonText(fields))
    }

    /// A code through the JSON consent API (the page flow has its own tests).
    func code(_ user: TestUser, client: OAuthClient, scope: String = "identify", redirect: String? = oauthRedirect,
              state: String? = "st-1", challenge: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        var fields = ["response_type": "code", "client_id": client.id, "scope": scope]
        if let redirect { fields["redirect_uri"] = redirect }
        if let state { fields["state"] = state }
        if let challenge {
            fields["code_challenge"] = challenge
            fields["code_challenge_method"] = "S256"
        }
        let response = consent(user, fields)
        #expect(response.status == 200, "consent: \(response.status) \(response.body)", sourceLocation: sourceLocation)
        let to = try #require(jsonObject(response.body)["redirect_to"] as? String, sourceLocation: sourceLocation)
        let query = queryParameters(to)
        #expect(query["state"] == state, sourceLocation: sourceLocation)
        return try #require(query["code"], sourceLocation: sourceLocation)
    }

    /// A full grant: consent, then exchange; returns the token response object.
    func grant(_ user: TestUser, client: OAuthClient, scope: String = "identify", sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let pkce = client.secret == nil
        let code = try code(user, client: client, scope: scope, challenge: pkce ? pkceChallenge : nil, sourceLocation: sourceLocation)
        let response = exchange(code, client: client, verifier: pkce ? pkceVerifier : nil)
        #expect(response.status == 200, "exchange: \(response.status) \(response.body)", sourceLocation: sourceLocation)
        return jsonObject(response.body)
    }

    /// `(access_token, refresh_token)` of a full grant.
    func tokens(_ user: TestUser, client: OAuthClient, scope: String = "identify", sourceLocation: SourceLocation = #_sourceLocation) throws -> (access: String, refresh: String) {
        let body = try grant(user, client: client, scope: scope, sourceLocation: sourceLocation)
        return (try #require(body["access_token"] as? String, sourceLocation: sourceLocation),
                try #require(body["refresh_token"] as? String, sourceLocation: sourceLocation))
    }

    /// `GET /users/@me` status with a bearer token.
    func meStatus(bearer: String) -> Int { get("/users/@me", auth: "Bearer " + bearer).status }
}

/// The `error` of an RFC 6749 error body.
func oauthError(_ response: TestResponse) -> String? {
    jsonObject(response.body)["error"] as? String
}

/// A browser's cookies for one host: stores `Set-Cookie` answers and replays them.
final class CookieJar {
    private(set) var cookies: [(name: String, value: String)] = []

    func store(_ response: TestResponse) {
        for (name, value) in response.headers where name.lowercased() == "set-cookie" {
            let pair = value.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = String(pair[0]).trimmingCharacters(in: .whitespaces)
            cookies.removeAll { $0.name == key }
            cookies.append((key, String(pair[1])))
        }
    }

    subscript(_ name: String) -> String? { cookies.first { $0.name == name }?.value }

    func remove(_ name: String) { cookies.removeAll { $0.name == name } }

    /// The `Cookie` header, if any.
    var header: [(String, String)] {
        cookies.isEmpty ? [] : [("Cookie", cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; "))]
    }
}

/// The `Set-Cookie` values of a response.
func setCookies(_ response: TestResponse) -> [String] {
    response.headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1)
}

/// Hidden input values of an HTML form, in order (`name` → `value`, HTML entities decoded).
/// The hidden inputs of a page, leaving out the "Continue with …" SSO forms (one per provider: a browser submits
/// one form, never the union of all of them).
func hiddenInputs(_ html: String) -> [(String, String)] {
    var html = html
    let ssoForm = #"<form method="post" action="/oauth2/authorize/sso">"#
    while let start = html.range(of: ssoForm), let end = html.range(of: "</form>", range: start.upperBound..<html.endIndex) {
        html.removeSubrange(start.lowerBound..<end.upperBound)
    }
    var out: [(String, String)] = []
    let pattern = try! NSRegularExpression(pattern: #"<input type="hidden" name="([^"]*)" value="([^"]*)">"#)
    let range = NSRange(html.startIndex..., in: html)
    for match in pattern.matches(in: html, range: range) {
        let name = String(html[Range(match.range(at: 1), in: html)!])
        let value = String(html[Range(match.range(at: 2), in: html)!])
        out.append((unescapeHTML(name), unescapeHTML(value)))
    }
    return out
}

func unescapeHTML(_ s: String) -> String {
    s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&amp;", with: "&")
}

/// The authorize query string for `pairs`.
func authorizePath(_ pairs: [(String, String)]) -> String {
    "/oauth2/authorize?" + formBody(pairs)
}
