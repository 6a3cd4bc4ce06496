import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import SQLite
import FluxerDomain

/// Bot tokens over HTTP: `Authorization: Bot <token>` only, tampering, forged tokens never reaching the
/// database, bots refused on user-only and auth routes, and key rotation across restarts.
@Suite struct BotAuthTests {
    @Test func usersMe_withBotToken_isTheBotUser() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner, name: "Weather Bot")
        for _ in 0..<2 { // the second answer comes from the principal cache
            let me = running.call("GET", "/users/@me", auth: created.botAuth)
            #expect(me.status == 200)
            let body = jsonObject(me.body)
            #expect(body["id"] as? String == created.id)
            #expect(body["bot"] as? Bool == true)
            #expect(body["username"] as? String == "Weather_Bot")
            #expect(body["email"] is NSNull)
        }
        // The owner's own session still resolves to the owner, without "bot".
        let ownerMe = jsonObject(running.call("GET", "/users/@me", auth: owner.auth).body)
        #expect(ownerMe["id"] as? String == owner.id)
        #expect(ownerMe["bot"] == nil)
    }

    @Test func applicationsMe_shape_andPrefixRules() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner, name: "Shape Bot")
        for path in ["/applications/@me"] {
            for prefix in ["Bot ", "bot ", "BOT ", "bOt "] {
                let response = running.call("GET", path, auth: prefix + created.botToken)
                #expect(response.status == 200, "\(path) \(prefix)")
                let body = jsonObject(response.body)
                #expect(Set(body.keys) == ["id", "name", "icon", "description", "bot_public", "bot_require_code_grant", "flags", "bot"])
                #expect(body["id"] as? String == created.id)
                #expect(body["name"] as? String == "Shape Bot")
                #expect(body["icon"] is NSNull && body["description"] is NSNull)
                #expect(body["bot_public"] as? Bool == true && body["bot_require_code_grant"] as? Bool == false)
                #expect(body["flags"] as? Int == 0)
                let bot = try #require(body["bot"] as? [String: Any])
                #expect(bot["id"] as? String == created.id)
                #expect(bot["username"] as? String == "Shape_Bot")
                #expect(bot["token"] == nil)
                #expect(bot["mfa_enabled"] as? Bool == false)
            }
            // Anything but a bot token is 401 INVALID_TOKEN.
            for auth in [nil, "Bearer " + created.botToken, created.botToken, owner.auth, "Bearer " + owner.auth, "Bot " + owner.auth, "Bot ", "Bot"] {
                let response = running.call("GET", path, auth: auth)
                #expect(response.status == 401, "\(path) \(auth ?? "none")")
                #expect(errorCode(response) == "INVALID_TOKEN")
            }
        }
        // Issue 15: `/oauth2/applications/@me` is a list (Fluxer's `ApplicationListResponse`): the bot's own
        // application as one item, or the session owner's applications.
        let other = running.createApp(owner: owner, name: "Second App")
        let asBot = running.call("GET", "/oauth2/applications/@me", auth: "bot " + created.botToken)
        let botList = try #require((try? JSONSerialization.jsonObject(with: Data(asBot.body.utf8))) as? [[String: Any]])
        #expect(asBot.status == 200 && botList.map { $0["id"] as? String } == [created.id])
        let asOwner = running.call("GET", "/oauth2/applications/@me", auth: owner.auth)
        let ownerList = try #require((try? JSONSerialization.jsonObject(with: Data(asOwner.body.utf8))) as? [[String: Any]])
        #expect(asOwner.status == 200 && Set(ownerList.compactMap { $0["id"] as? String }) == [created.id, other.id])
        #expect(asOwner.body == running.call("GET", "/oauth2/applications", auth: owner.auth).body)
        #expect(running.call("GET", "/oauth2/applications/@me").status == 401)
        // On every other route the prefix is case-sensitive and the bot token works only under "Bot ". (Leading
        // and trailing whitespace is not tested here: HTTP strips it from field values before the app sees them.)
        #expect(running.meStatus("Bot " + created.botToken) == 200)
        for auth in ["bot " + created.botToken, "BOT " + created.botToken, "Bearer " + created.botToken, created.botToken,
                     "Bot  " + created.botToken, "Bot\t" + created.botToken,
                     "Bot " + created.botToken + " extra", "Bot:" + created.botToken] {
            let response = running.call("GET", "/users/@me", auth: auth)
            #expect(response.status == 401, "\(auth)")
        }
    }

    /// A sample of positions in every part of the token (id digits, the dot, the version/key-id header, the
    /// timestamp, the random part and the tag), each changed to another character of its kind: all 401.
    @Test func tamperedTokens_are401_overHTTP() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner)
        let token = created.botToken
        #expect(running.meStatus(created.botAuth) == 200) // cached from now on: tampering must still miss
        let dot = token.distance(from: token.startIndex, to: token.firstIndex(of: ".")!)
        let p = dot + 1 // first payload character
        // Payload characters: [0, 2) version+key id (plus 4 bits of time), up to ~14 time, ~14–45 random, 46–87 tag.
        let positions = [0, dot / 2, dot - 1, dot, p, p + 1, p + 2, p + 8, p + 13, p + 20, p + 30, p + 44, p + 46, p + 60, p + 86, p + 87]
        for index in positions {
            let tampered = TokenAlphabet.flip(token, at: index)
            #expect(running.meStatus("Bot " + tampered) == 401, "position \(index)")
            #expect(running.call("GET", "/applications/@me", auth: "Bot " + tampered).status == 401, "position \(index)")
        }
        // A tampered id that names another (real) bot is still refused: the tag covers the id.
        let second = running.createApp(owner: owner, name: "Second")
        let swapped = second.id + String(token[token.firstIndex(of: ".")!...])
        #expect(running.meStatus("Bot " + swapped) == 401)
        for shape in [token + "A", String(token.dropLast()), token + ".", "0" + token, token + "=", "x" + token] {
            #expect(running.meStatus("Bot " + shape) == 401, "\(shape)")
        }
        #expect(running.meStatus(created.botAuth) == 200)
        #expect(running.meStatus(second.botAuth) == 200)
    }

    /// The trick: with the database closed, anything that reaches it fails with 503. A forged token (right
    /// shape, wrong tag) still gets 401, so it was refused before any read; a genuine token that is not in
    /// the principal cache gets 503, which shows the same request path would have read the database.
    @Test func forgedToken_neverTouchesTheDatabase() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner) // not used yet: not cached
        let other = running.createApp(owner: owner, name: "Cached")
        #expect(running.meStatus(other.botAuth) == 200) // cached
        let id = created.id
        let body = Base64URL.decode(String(created.botToken.split(separator: ".")[1]))!
        // Same id, version, key id, time and random; a tag from the wrong key.
        let signedPart = Array(body.prefix(BotToken.signedCount))
        let forgedTag = HMAC.sha256(key: testKey2, message: Array("\(id).".utf8) + signedPart)
        let forged = id + "." + Base64URL.encode(signedPart + forgedTag)
        #expect(BotToken.verify(forged[...], keys: running.botKeys) == nil)

        running.database.close()
        #expect(running.meStatus("Bot " + forged) == 401)
        #expect(running.call("GET", "/applications/@me", auth: "Bot " + forged).status == 401)
        #expect(running.meStatus("Bot " + TokenAlphabet.flip(created.botToken, at: 3)) == 401)
        // The genuine but uncached token needs the database: 503 (on /applications/@me, never cached, too).
        #expect(running.meStatus(created.botAuth) == 503)
        #expect(running.call("GET", "/applications/@me", auth: created.botAuth).status == 503)
        // A cached one is answered from memory.
        #expect(running.meStatus(other.botAuth) == 200)
    }

    @Test func bots_onUserOnlyRoutes_are403AccessDenied() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner)
        let auth = created.botAuth
        let calls: [(String, String, String?)] = [
            ("GET", "/auth/sessions", nil),
            ("POST", "/auth/sessions/logout", #"{"session_id_hashes":[],"password":"correct horse battery"}"#),
            ("GET", "/oauth2/applications", nil),
            ("POST", "/oauth2/applications", #"{"name":"Bot made app"}"#),
            ("GET", "/oauth2/applications/\(created.id)", nil),
            ("PATCH", "/oauth2/applications/\(created.id)", #"{"name":"renamed"}"#),
            ("DELETE", "/oauth2/applications/\(created.id)", #"{"password":"correct horse battery"}"#),
            ("POST", "/oauth2/applications/\(created.id)/client-secret/reset", #"{"password":"correct horse battery"}"#),
            ("POST", "/oauth2/applications/\(created.id)/bot/reset-token", #"{"password":"correct horse battery"}"#),
        ]
        for (method, path, json) in calls {
            let response = running.call(method, path, auth: auth, json: json)
            #expect(response.status == 403, "\(method) \(path): \(response.body)")
            #expect(errorCode(response) == "ACCESS_DENIED", "\(method) \(path)")
        }
        // Nothing changed and the token still works.
        #expect(try running.count("applications") == 1)
        #expect(running.meStatus(auth) == 200)
        #expect(jsonObject(running.call("GET", "/oauth2/applications/\(created.id)", auth: owner.auth).body)["name"] as? String == "My Bot")
    }

    @Test func bots_onAuthEndpoints_are403BotUserAuthEndpointAccessDenied() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let owner = running.registerUser("owner")
        let created = running.createApp(owner: owner)
        let calls: [(String, String?)] = [
            ("/auth/login", #"{"email":"owner@example.com","password":"correct horse battery"}"#),
            ("/auth/register", #"{"email":"new@example.com","username":"newbie","password":"correct horse battery","date_of_birth":"1990-01-01","consent":true}"#),
            ("/auth/forgot", #"{"email":"owner@example.com"}"#),
            ("/auth/reset", #"{"token":"abc","password":"correct horse battery 2"}"#),
            ("/auth/verify", #"{"token":"abc"}"#),
            ("/auth/verify/resend", nil),
        ]
        for (path, json) in calls {
            let response = running.call("POST", path, auth: created.botAuth, json: json)
            #expect(response.status == 403, "\(path): \(response.body)")
            #expect(errorCode(response) == "BOT_USER_AUTH_ENDPOINT_ACCESS_DENIED", "\(path)")
        }
        #expect(try running.count("users") == 2) // owner and bot: no registration went through
    }

    /// Keys [1] → [1, 2] active 2 → [2]: a token signed with key 1 lives through the first rotation and dies
    /// when key 1 is removed; new tokens are signed with the active key. Three apps, one after another, on
    /// one database.
    @Test func keyRotation_acrossRestarts() throws {
        let dir = TempDir()
        defer { dir.remove() }
        func keyID(_ token: String) -> UInt8 { Base64URL.decode(String(token.split(separator: ".")[1]))![1] }

        let first = try AppOnDir(dir: dir) { $0.botTokenKeys = [1: testKey1]; $0.botTokenActiveKey = 1 }
        let owner = first.registerUser("owner")
        let a = first.createApp(owner: owner, name: "A")
        #expect(keyID(a.botToken) == 1)
        #expect(first.meStatus(a.botAuth) == 200)
        first.stop()

        let second = try AppOnDir(dir: dir) { $0.botTokenKeys = [1: testKey1, 2: testKey2]; $0.botTokenActiveKey = 2 }
        #expect(second.meStatus(a.botAuth) == 200)
        #expect(second.call("GET", "/applications/@me", auth: a.botAuth).status == 200)
        let b = second.createApp(owner: owner, name: "B")
        #expect(keyID(b.botToken) == 2)
        #expect(second.meStatus(b.botAuth) == 200)
        second.stop()

        let third = try AppOnDir(dir: dir) { $0.botTokenKeys = [2: testKey2]; $0.botTokenActiveKey = 2 }
        defer { third.stop() }
        #expect(third.meStatus(a.botAuth) == 401)
        #expect(third.call("GET", "/applications/@me", auth: a.botAuth).status == 401)
        #expect(third.meStatus(b.botAuth) == 200)
        // A's owner can still reset A's token; the new one is signed with key 2 and works.
        let reset = third.call("POST", "/oauth2/applications/\(a.id)/bot/reset-token", auth: owner.auth, json: #"{"password":"correct horse battery"}"#)
        #expect(reset.status == 200)
        let newA = try #require(jsonObject(reset.body)["token"] as? String)
        #expect(keyID(newA) == 2)
        #expect(third.meStatus("Bot " + newA) == 200)
    }
}
