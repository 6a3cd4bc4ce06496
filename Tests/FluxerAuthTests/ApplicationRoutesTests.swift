import Dispatch
import Foundation
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import SQLite
import FluxerDomain

/// `/oauth2/applications*`: create with validation, owner-only access, public info, sudo-guarded delete and
/// secret/token resets, the rotate limit, concurrent resets, and the `app create` command.
@Suite struct ApplicationRoutesTests {
    static let password = "correct horse battery"
    static let sudo = #"{"password":"correct horse battery"}"#
    static let wrongSudo = #"{"password":"wrong horse battery"}"#

    // MARK: - Create

    @Test func create_returnsSecretsOnce_botUserSharesTheID() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let response = running.call("POST", "/oauth2/applications", auth: owner.auth, json: jsonText([
            "name": "  Fluxer Helper  ", "redirect_uris": ["https://example.com/cb", "http://localhost:3000/cb"],
            "bot_public": false, "bot_require_code_grant": true,
        ]))
        #expect(response.status == 200)
        let body = jsonObject(response.body)
        #expect(Set(body.keys) == ["id", "name", "redirect_uris", "bot_public", "bot_require_code_grant", "client_secret", "bot"])
        let id = try #require(body["id"] as? String)
        #expect(Snowflake.parse(id) != nil)
        #expect(body["name"] as? String == "Fluxer Helper")
        #expect(body["redirect_uris"] as? [String] == ["https://example.com/cb", "http://localhost:3000/cb"])
        #expect(body["bot_public"] as? Bool == false && body["bot_require_code_grant"] as? Bool == true)
        let secret = try #require(body["client_secret"] as? String)
        #expect(secret.count == 43 && Base64URL.decode(secret)?.count == 32)
        let bot = try #require(body["bot"] as? [String: Any])
        #expect(bot["id"] as? String == id)
        #expect(bot["username"] as? String == "_helper") // derived: lowercased with "fluxer" stripped
        let token = try #require(bot["token"] as? String)
        #expect(token.hasPrefix(id + "."))
        #expect(BotToken.verify(token[...], keys: running.botKeys)?.botID == UInt64(id))
        // Stored: SHA-256 only; the bot user row has the same id and bot = 1.
        #expect(try running.appBlob("client_secret_hash", id: id) == SHA256.hash(Array(secret.utf8)))
        #expect(try running.appBlob("bot_token_hash", id: id) == SHA256.hash(Array(token.utf8)))
        let (isBot, ownerID) = try running.database.read { db in
            (try db.queryOne("SELECT bot FROM users WHERE id = ?", Int64(id)!)?.int("bot"),
             try db.queryOne("SELECT owner_id FROM applications WHERE id = ?", Int64(id)!)?.int("owner_id"))
        }
        #expect(isBot == 1)
        let preview = try running.database.read { db in
            try db.queryOne("SELECT bot_token_preview AS p FROM applications WHERE id = ?", Int64(id)!)?.string("p")
        }
        #expect(preview == BotToken.preview(token))
        #expect(ownerID == Int64(owner.id))
        // Shown once: later reads carry neither.
        for read in [running.call("GET", "/oauth2/applications/\(id)", auth: owner.auth).body,
                     running.call("GET", "/oauth2/applications", auth: owner.auth).body] {
            #expect(!read.contains(secret) && !read.contains(token))
            #expect(!read.contains("client_secret"))
        }
        #expect(running.meStatus("Bot " + token) == 200)
    }

    @Test func create_usernameDerivation() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        for (name, username) in [("My Bot", "My_Bot"), ("émoji ✨ bot.v2-x", "moji__bot_v2_x"), ("✨✨", "bot"),
                                 (String(repeating: "a", count: 40), String(repeating: "a", count: 32))] {
            let created = running.createApp(owner: owner, name: name)
            let bot = created.body["bot"] as! [String: Any]
            #expect(bot["username"] as? String == username, "\(name)")
        }
    }

    @Test func create_validationFailures_insertNothing() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let elevenURIs = (0..<11).map { "https://example.com/\($0)" }
        let cases: [(String, String)] = [
            (jsonText(["name": ""]), "name"),
            (jsonText(["name": "   "]), "name"),
            (jsonText(["name": String(repeating: "x", count: 101)]), "name"),
            (jsonText(["name": "bad\u{7}name"]), "name"),
            (jsonText(["name": "ok", "redirect_uris": elevenURIs]), "redirect_uris"),
            (jsonText(["name": "ok", "redirect_uris": ["http://example.com/cb"]]), "redirect_uris.0"),
            (jsonText(["name": "ok", "redirect_uris": ["https://ok.example/cb", "https://example.com/cb#frag"]]), "redirect_uris.1"),
            (jsonText(["name": "ok", "redirect_uris": ["ftp://example.com/"]]), "redirect_uris.0"),
            (jsonText(["name": "ok", "redirect_uris": ["/relative/cb"]]), "redirect_uris.0"),
            (jsonText(["name": "ok", "redirect_uris": ["javascript:alert(1)"]]), "redirect_uris.0"),
            (jsonText(["name": "ok", "redirect_uris": ["http://localhost.evil.com/cb"]]), "redirect_uris.0"),
            (jsonText(["name": "ok", "redirect_uris": ["https://user@example.com/cb"]]), "redirect_uris.0"),
            (jsonText(["name": "ok", "redirect_uris": [""]]), "redirect_uris.0"),
        ]
        for (json, path) in cases {
            let response = running.call("POST", "/oauth2/applications", auth: owner.auth, json: json)
            #expect(response.status == 400, "\(json)")
            #expect(errorCode(response) == "INVALID_FORM_BODY", "\(json)")
            let paths = (jsonObject(response.body)["errors"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(paths.contains(path), "\(json): \(response.body)")
        }
        // Not JSON / missing name / unauthenticated.
        #expect(running.call("POST", "/oauth2/applications", auth: owner.auth, json: "{").status == 400)
        #expect(running.call("POST", "/oauth2/applications", auth: owner.auth, json: "{}").status == 400)
        #expect(running.call("POST", "/oauth2/applications", json: jsonText(["name": "x"])).status == 401)
        #expect(try running.count("applications") == 0)
        #expect(try running.count("users") == 1)
        // The edges that are allowed.
        let okURIs = ["http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "https://example.com/cb?x=1",
                      "HTTP://LOCALHOST/cb", "https://example.com", "https://a.example:8443/p", "https://x.example/a", "https://y.example/b",
                      "https://z.example/c"]
        #expect(okURIs.count == 10)
        let ok = running.call("POST", "/oauth2/applications", auth: owner.auth,
                              json: jsonText(["name": String(repeating: "x", count: 100), "redirect_uris": okURIs]))
        #expect(ok.status == 200, "\(ok.body)")
        #expect(try running.count("applications") == 1)
    }

    // MARK: - Owner-only access

    @Test func listGetPatch_onlyByTheOwner() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let stranger = running.registerUser("stranger")
        let a = running.createApp(owner: owner, name: "A")
        let b = running.createApp(owner: owner, name: "B")
        let theirs = running.createApp(owner: stranger, name: "Theirs")

        let list = jsonArray(running.call("GET", "/oauth2/applications", auth: owner.auth).body).compactMap { ($0 as? [String: Any])?["id"] as? String }
        #expect(list == [a.id, b.id])
        #expect(jsonArray(running.call("GET", "/oauth2/applications", auth: stranger.auth).body).count == 1)
        #expect(running.call("GET", "/oauth2/applications").status == 401)

        let get = running.call("GET", "/oauth2/applications/\(a.id)", auth: owner.auth)
        #expect(get.status == 200)
        #expect(jsonObject(get.body)["name"] as? String == "A")
        for (method, json) in [("GET", nil), ("PATCH", #"{"name":"stolen"}"#)] as [(String, String?)] {
            let denied = running.call(method, "/oauth2/applications/\(theirs.id)", auth: owner.auth, json: json)
            #expect(denied.status == 403)
            #expect(errorCode(denied) == "ACCESS_DENIED")
            let unknown = running.call(method, "/oauth2/applications/1234567890123", auth: owner.auth, json: json)
            #expect(unknown.status == 404)
            #expect(errorCode(unknown) == "UNKNOWN_APPLICATION")
            for malformed in ["abc", "0123", "-1", "1e5", "99999999999999999999999", "%20"] {
                let r = running.call(method, "/oauth2/applications/\(malformed)", auth: owner.auth, json: json)
                #expect(r.status == 404, "\(method) \(malformed)")
            }
        }
        #expect(jsonObject(running.call("GET", "/oauth2/applications/\(theirs.id)", auth: stranger.auth).body)["name"] as? String == "Theirs")

        // PATCH by the owner (new redirect URIs: with the sudo proof in the same body).
        let patched = running.call("PATCH", "/oauth2/applications/\(a.id)", auth: owner.auth, json: jsonText([
            "name": " Renamed ", "redirect_uris": ["https://new.example/cb"], "bot_public": false, "bot_require_code_grant": true,
            "password": Self.password,
        ]))
        #expect(patched.status == 200)
        let p = jsonObject(patched.body)
        #expect(p["name"] as? String == "Renamed")
        #expect(p["redirect_uris"] as? [String] == ["https://new.example/cb"])
        #expect(p["bot_public"] as? Bool == false && p["bot_require_code_grant"] as? Bool == true)
        #expect(p["client_secret"] == nil)
        // An invalid PATCH changes nothing (not even its valid fields).
        let bad = running.call("PATCH", "/oauth2/applications/\(a.id)", auth: owner.auth, json: jsonText([
            "name": "Fine", "redirect_uris": ["http://example.com/"], "bot_public": true,
        ]))
        #expect(bad.status == 400)
        let after = jsonObject(running.call("GET", "/oauth2/applications/\(a.id)", auth: owner.auth).body)
        #expect(after["name"] as? String == "Renamed")
        #expect(after["redirect_uris"] as? [String] == ["https://new.example/cb"])
        #expect(after["bot_public"] as? Bool == false)
        // Members may be left out but not null (the document types them without null): refused, nothing changes.
        for member in ["name", "bot_public", "bot_require_code_grant"] {
            let null = running.call("PATCH", "/oauth2/applications/\(a.id)", auth: owner.auth, json: #"{"\#(member)":null}"#)
            #expect(null.status == 400 && null.body.contains(#""path":"\#(member)""#), "\(member): \(null.body)")
        }
        #expect(running.call("POST", "/oauth2/applications", auth: owner.auth, json: #"{"name":"N","bot_public":null}"#).status == 400)
        #expect(jsonObject(running.call("GET", "/oauth2/applications/\(a.id)", auth: owner.auth).body)["bot_public"] as? Bool == false)
        // Partial PATCH keeps the rest.
        #expect(running.call("PATCH", "/oauth2/applications/\(a.id)", auth: owner.auth, json: #"{"bot_public":true}"#).status == 200)
        let partial = jsonObject(running.call("GET", "/oauth2/applications/\(a.id)", auth: owner.auth).body)
        #expect(partial["name"] as? String == "Renamed" && partial["bot_public"] as? Bool == true)
        // The stranger's app is untouched; /applications/@me shows the new name.
        #expect(jsonObject(running.call("GET", "/oauth2/applications/\(theirs.id)", auth: stranger.auth).body)["name"] as? String == "Theirs")
        #expect(jsonObject(running.call("GET", "/applications/@me", auth: a.botAuth).body)["name"] as? String == "Renamed")
    }

    /// "Changing an application's redirect URIs needs sudo, as resetting its secret does": where codes go is as
    /// sensitive as the secret that redeems them. Without the proof (or with a wrong one) nothing of the PATCH is
    /// applied; with it, it is. Fields that are not sensitive, and an unchanged list, need no sudo.
    @Test func changingRedirectURIs_needsSudo() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let a = running.createApp(owner: owner, name: "A", redirectURIs: ["https://old.example/cb"])
        let path = "/oauth2/applications/\(a.id)"
        func stored() -> [String: Any] { jsonObject(running.call("GET", path, auth: owner.auth).body) }
        func expectUnchanged(_ label: String, name: String = "A", sourceLocation: SourceLocation = #_sourceLocation) {
            let app = stored()
            #expect(app["redirect_uris"] as? [String] == ["https://old.example/cb"], "\(label)", sourceLocation: sourceLocation)
            #expect(app["name"] as? String == name, "\(label)", sourceLocation: sourceLocation)
            #expect(app["bot_public"] as? Bool == true, "\(label)", sourceLocation: sourceLocation)
        }
        let changes: [[String: Any]] = [
            ["redirect_uris": ["https://evil.example/cb"]],
            ["redirect_uris": ["https://old.example/cb", "https://evil.example/cb"]],
            ["redirect_uris": [String]()],
            ["name": "Renamed", "bot_public": false, "redirect_uris": ["https://evil.example/cb"]],
        ]
        for change in changes {
            let label = jsonText(change)
            let refused = running.call("PATCH", path, auth: owner.auth, json: jsonText(change))
            #expect(refused.status == 403 && errorCode(refused) == "SUDO_MODE_REQUIRED", "\(label): \(refused.status) \(refused.body)")
            #expect(jsonObject(refused.body)["has_mfa"] as? Bool == false)
            expectUnchanged(label)
            var wrong = change
            wrong["password"] = "wrong horse battery"
            let bad = running.call("PATCH", path, auth: owner.auth, json: jsonText(wrong))
            #expect(bad.status == 400 && bad.body.contains("INVALID_PASSWORD"), "\(label): \(bad.body)")
            expectUnchanged(label + ", wrong password")
        }
        // Not sensitive: no sudo, and the same list sent back is no change.
        let renamed = running.call("PATCH", path, auth: owner.auth, json: jsonText([
            "name": "Renamed", "bot_require_code_grant": true, "redirect_uris": ["https://old.example/cb"],
        ]))
        #expect(renamed.status == 200, "\(renamed.body)")
        expectUnchanged("rename", name: "Renamed")
        #expect(stored()["bot_require_code_grant"] as? Bool == true)
        // With the proof: changed, and the authorize endpoint follows.
        let changed = running.call("PATCH", path, auth: owner.auth, json: jsonText([
            "redirect_uris": ["https://new.example/cb"], "password": Self.password,
        ]))
        #expect(changed.status == 200, "\(changed.body)")
        #expect(jsonObject(changed.body)["redirect_uris"] as? [String] == ["https://new.example/cb"])
        #expect(stored()["redirect_uris"] as? [String] == ["https://new.example/cb"])
        #expect(stored()["name"] as? String == "Renamed")
        // A stranger cannot, sudo or not.
        let stranger = running.registerUser("stranger")
        let foreign = running.call("PATCH", path, auth: stranger.auth, json: jsonText([
            "redirect_uris": ["https://evil.example/cb"], "password": Self.password,
        ]))
        #expect(foreign.status == 403 && errorCode(foreign) == "ACCESS_DENIED")
        #expect(stored()["redirect_uris"] as? [String] == ["https://new.example/cb"])
    }

    @Test func publicInfo_withoutAuth() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner, name: "Public", redirectURIs: ["https://example.com/cb"])
        let response = running.call("GET", "/oauth2/applications/\(created.id)/public")
        #expect(response.status == 200)
        let body = jsonObject(response.body)
        #expect(Set(body.keys) == ["id", "name", "icon", "description", "redirect_uris", "scopes", "bot_public", "bot"])
        #expect(body["id"] as? String == created.id && body["name"] as? String == "Public")
        #expect(body["redirect_uris"] as? [String] == ["https://example.com/cb"])
        #expect((body["scopes"] as? [String])?.contains("identify") == true)
        #expect(!response.body.contains(created.clientSecret) && !response.body.contains(created.botToken))
        #expect((body["bot"] as? [String: Any])?["token"] == nil)
        #expect(running.call("GET", "/oauth2/applications/1234567890123/public").status == 404)
        #expect(running.call("GET", "/oauth2/applications/nope/public").status == 404)
    }

    // MARK: - Delete

    @Test func delete_needsSudo_thenKillsTheBotAtOnce() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let stranger = running.registerUser("stranger")
        let created = running.createApp(owner: owner)
        #expect(running.meStatus(created.botAuth) == 200) // cached

        let noProof = running.call("DELETE", "/oauth2/applications/\(created.id)", auth: owner.auth)
        #expect(noProof.status == 403)
        #expect(errorCode(noProof) == "SUDO_MODE_REQUIRED")
        let emptyBody = running.call("DELETE", "/oauth2/applications/\(created.id)", auth: owner.auth, json: "{}")
        #expect(errorCode(emptyBody) == "SUDO_MODE_REQUIRED")
        let wrong = running.call("DELETE", "/oauth2/applications/\(created.id)", auth: owner.auth, json: Self.wrongSudo)
        #expect(wrong.status == 400)
        #expect(jsonObject(wrong.body)["errors"].map { "\($0)" }?.contains("INVALID_PASSWORD") == true)
        let notOwner = running.call("DELETE", "/oauth2/applications/\(created.id)", auth: stranger.auth, json: #"{"password":"correct horse battery"}"#)
        #expect(notOwner.status == 403 && errorCode(notOwner) == "ACCESS_DENIED")
        #expect(running.call("DELETE", "/oauth2/applications/1234567890123", auth: owner.auth, json: Self.sudo).status == 404)
        #expect(try running.count("applications", id: created.id) == 1)
        #expect(running.meStatus(created.botAuth) == 200)

        let deleted = running.call("DELETE", "/oauth2/applications/\(created.id)", auth: owner.auth, json: Self.sudo)
        #expect(deleted.status == 204)
        // The very next request: the cached principal is gone with the commit.
        #expect(running.meStatus(created.botAuth) == 401)
        #expect(running.call("GET", "/applications/@me", auth: created.botAuth).status == 401)
        #expect(try running.count("applications", id: created.id) == 0)
        #expect(try running.count("users", id: created.id) == 0)
        #expect(try running.count("users", id: owner.id) == 1)
        #expect(running.call("GET", "/oauth2/applications/\(created.id)", auth: owner.auth).status == 404)
        #expect(running.call("GET", "/oauth2/applications/\(created.id)/public").status == 404)
        #expect(running.call("DELETE", "/oauth2/applications/\(created.id)", auth: owner.auth, json: Self.sudo).status == 404)
    }

    // MARK: - Client secret reset

    @Test func clientSecretReset_storesOnlyTheNewHash() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let stranger = running.registerUser("stranger")
        let created = running.createApp(owner: owner)
        let path = "/oauth2/applications/\(created.id)/client-secret/reset"
        let before = try #require(try running.appBlob("client_secret_hash", id: created.id))
        #expect(before == SHA256.hash(Array(created.clientSecret.utf8)))

        #expect(errorCode(running.call("POST", path, auth: owner.auth)) == "SUDO_MODE_REQUIRED")
        let wrong = running.call("POST", path, auth: owner.auth, json: Self.wrongSudo)
        #expect(wrong.status == 400)
        #expect(running.call("POST", path, auth: stranger.auth, json: Self.sudo).status == 403)
        #expect(running.call("POST", "/oauth2/applications/1234567890123/client-secret/reset", auth: owner.auth, json: Self.sudo).status == 404)
        #expect(try running.appBlob("client_secret_hash", id: created.id) == before)

        let reset = running.call("POST", path, auth: owner.auth, json: Self.sudo)
        #expect(reset.status == 200)
        let body = jsonObject(reset.body)
        let secret = try #require(body["client_secret"] as? String)
        #expect(secret.count == 43 && secret != created.clientSecret)
        #expect(body["id"] as? String == created.id)
        #expect((body["bot"] as? [String: Any])?["token"] == nil)
        let after = try #require(try running.appBlob("client_secret_hash", id: created.id))
        #expect(after == SHA256.hash(Array(secret.utf8)))
        #expect(after != before)
        // The bot token is not affected.
        #expect(running.meStatus(created.botAuth) == 200)
    }

    // MARK: - Bot token reset

    @Test func botTokenReset_oldDiesAtOnce_newWorks() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let stranger = running.registerUser("stranger")
        let created = running.createApp(owner: owner)
        let path = "/oauth2/applications/\(created.id)/bot/reset-token"
        #expect(running.meStatus(created.botAuth) == 200) // cached

        let noProof = running.call("POST", path, auth: owner.auth)
        #expect(noProof.status == 403 && errorCode(noProof) == "SUDO_MODE_REQUIRED")
        let wrong = running.call("POST", path, auth: owner.auth, json: Self.wrongSudo)
        #expect(wrong.status == 400)
        #expect(wrong.body.contains("INVALID_PASSWORD"))
        let notOwner = running.call("POST", path, auth: stranger.auth, json: Self.sudo)
        #expect(notOwner.status == 403 && errorCode(notOwner) == "ACCESS_DENIED")
        let unknown = running.call("POST", "/oauth2/applications/1234567890123/bot/reset-token", auth: owner.auth, json: Self.sudo)
        #expect(unknown.status == 404 && errorCode(unknown) == "UNKNOWN_APPLICATION")
        // None of those touched the token.
        #expect(running.meStatus(created.botAuth) == 200)
        #expect(try running.appBlob("bot_token_hash", id: created.id) == SHA256.hash(Array(created.botToken.utf8)))

        let reset = running.call("POST", path, auth: owner.auth, json: Self.sudo)
        #expect(reset.status == 200)
        let body = jsonObject(reset.body)
        #expect(Set(body.keys) == ["token", "bot"])
        let token = try #require(body["token"] as? String)
        #expect(token.hasPrefix(created.id + ".") && token != created.botToken)
        let bot = try #require(body["bot"] as? [String: Any])
        #expect(Set(bot.keys) == ["id", "username", "discriminator", "avatar", "banner", "bio", "mfa_enabled", "authenticator_types", "flags"])
        #expect(bot["id"] as? String == created.id)
        // Old: 401 on the very next request (it was cached); new: works.
        #expect(running.meStatus(created.botAuth) == 401)
        #expect(running.call("GET", "/applications/@me", auth: created.botAuth).status == 401)
        #expect(running.meStatus("Bot " + token) == 200)
        #expect(running.call("GET", "/applications/@me", auth: "Bot " + token).status == 200)
        #expect(try running.appBlob("bot_token_hash", id: created.id) == SHA256.hash(Array(token.utf8)))
    }

    @Test func rotateLimit_429OnTheThird() throws {
        let running = try RunningApp { $0.rotateLimit = RateLimit(2, per: 3_600_000) }
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner)
        let other = running.registerUser("other")
        let theirs = running.createApp(owner: other)
        #expect(running.call("POST", "/oauth2/applications/\(created.id)/bot/reset-token", auth: owner.auth, json: Self.sudo).status == 200)
        #expect(running.call("POST", "/oauth2/applications/\(created.id)/client-secret/reset", auth: owner.auth, json: Self.sudo).status == 200)
        let third = running.call("POST", "/oauth2/applications/\(created.id)/bot/reset-token", auth: owner.auth, json: Self.sudo)
        #expect(third.status == 429)
        #expect(third.header("Retry-After") != nil)
        #expect(running.call("POST", "/oauth2/applications/\(created.id)/client-secret/reset", auth: owner.auth, json: Self.sudo).status == 429)
        // Per user: another owner is not affected.
        #expect(running.call("POST", "/oauth2/applications/\(theirs.id)/bot/reset-token", auth: other.auth, json: Self.sudo).status == 200)
    }

    /// Two resets at once: both may succeed, but afterwards exactly one returned token works, and it is the
    /// one whose hash is stored.
    @Test func concurrentResets_leaveExactlyOneValidToken() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner)
        let port = running.port
        let path = "/oauth2/applications/\(created.id)/bot/reset-token"
        for round in 0..<3 {
            #expect(running.meStatus(created.botAuth) == (round == 0 ? 200 : 401))
            let results = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                let response = TestClient.request(port: port, "POST", path, headers: [
                    ("Authorization", owner.token), ("Content-Type", "application/json"),
                ], body: Self.sudo)
                if response.status == 200, let token = jsonObject(response.body)["token"] as? String {
                    results.withLock { $0.append(token) }
                }
            }
            let tokens = results.withLock { $0 }
            #expect(tokens.count >= 1)
            let working = tokens.filter { running.meStatus("Bot " + $0) == 200 }
            #expect(working.count == 1, "round \(round): \(tokens.count) answered, \(working.count) work")
            let stored = try running.appBlob("bot_token_hash", id: created.id)
            #expect(working.first.map { SHA256.hash(Array($0.utf8)) } == stored)
        }
    }

    // MARK: - CLI

    @Test func appCreateCommand_tokenAuthenticatesAgainstTheServer() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let server = try AppOnDir(dir: dir)
        defer { server.stop() }
        let owner = server.registerUser("owner")
        let config = testConfig(dir) // same database and secret key as the server
        let output = try AppCommands.create(config: config, owner: owner.id, name: "CLI Bot",
                                            redirectURIs: ["https://example.com/cb"], botPublic: false)
        let json = jsonObject(output)
        for key in ["id", "client_id", "client_secret", "bot_id", "bot_token", "name", "redirect_uris", "bot_public", "bot_username"] {
            #expect(json[key] != nil, "\(key)")
        }
        let id = try #require(json["id"] as? String)
        #expect(json["client_id"] as? String == id && json["bot_id"] as? String == id)
        #expect(json["bot_username"] as? String == "CLI_Bot")
        #expect((json["client_secret"] as? String)?.count == 43)
        let token = try #require(json["bot_token"] as? String)
        let me = server.call("GET", "/users/@me", auth: "Bot " + token)
        #expect(me.status == 200)
        #expect(jsonObject(me.body)["id"] as? String == id)
        #expect(jsonObject(server.call("GET", "/applications/@me", auth: "Bot " + token).body)["bot_public"] as? Bool == false)
        // The owner sees it through the API.
        #expect(server.call("GET", "/oauth2/applications/\(id)", auth: owner.auth).status == 200)

        // Refusals: unknown owner, a bot as owner, a malformed owner id, a bad name or redirect URI, no secret.
        for (ownerID, name, uris) in [("1234567890123", "x", [String]()), (id, "x", []), ("abc", "x", []),
                                      (owner.id, "", []), (owner.id, "x", ["http://example.com/"])] {
            #expect(throws: UserCommands.Failure.self, "\(ownerID) \(name) \(uris)") {
                try AppCommands.create(config: config, owner: ownerID, name: name, redirectURIs: uris, botPublic: true)
            }
        }
        var noSecret = config
        noSecret.secretKey = nil
        noSecret.dev = false
        #expect(throws: UserCommands.Failure.self) {
            try AppCommands.create(config: noSecret, owner: owner.id, name: "x", redirectURIs: [], botPublic: true)
        }
        #expect(try server.count("applications") == 1)
    }

    /// In dev mode with no configured secret, the command and the server share `secret.key` next to the database.
    @Test func appCreateCommand_devMode_sharesTheGeneratedSecret() throws {
        let dir = TempDir()
        defer { dir.remove() }
        func dev(_ config: inout Config) {
            config.secretKey = nil
            config.dev = true
        }
        let server = try AppOnDir(dir: dir, configure: dev)
        defer { server.stop() }
        let owner = server.registerUser("owner")
        var config = testConfig(dir)
        dev(&config)
        let json = jsonObject(try AppCommands.create(config: config, owner: owner.id, name: "Dev Bot", redirectURIs: [], botPublic: true))
        let token = try #require(json["bot_token"] as? String)
        #expect(server.meStatus("Bot " + token) == 200)
    }
}
