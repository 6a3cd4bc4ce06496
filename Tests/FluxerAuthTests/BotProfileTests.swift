import FluxerPersistence
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// `PATCH /oauth2/applications/{id}/bot`: the owner edits the bot's profile.
@Suite struct BotProfileTests {
    struct Bot {
        var appID: String
        var token: String
        var discriminator: String
    }

    func createBot(_ h: AccountsHarness, owner: TestAccount, name: String = "Helper Bot") throws -> Bot {
        let response = h.post("/oauth2/applications", ["name": name], auth: owner.token)
        #expect(response.status == 200, "\(response.body)")
        let body = try #require(jsonObject(response))
        let bot = try #require(body["bot"] as? [String: Any])
        let appID = try #require(body["id"] as? String)
        let token = try #require(bot["token"] as? String)
        let discriminator = try #require(bot["discriminator"] as? String)
        return Bot(appID: appID, token: token, discriminator: discriminator)
    }

    func patchBot(_ h: AccountsHarness, _ appID: String, _ body: [String: Any], auth: String?) -> TestResponse {
        h.request("PATCH", "/oauth2/applications/\(appID)/bot", json: jsonText(body), auth: auth)
    }

    @Test func owner_updatesProfile_botSeesItAtOnce() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let owner = try h.register(email: "botowner@example.com")
        let bot = try createBot(h, owner: owner)
        #expect(h.request("GET", "/applications/@me", auth: "Bot " + bot.token).status == 200)  // cached now
        let response = patchBot(h, bot.appID, ["username": "shiny_bot", "discriminator": bot.discriminator, "bio": "I help.",
                                               "avatar": pngBase64, "banner": "data:image/gif;base64," + gifBase64, "bot_flags": 16 | 32 | 1],
                                auth: owner.token)
        #expect(response.status == 200, "\(response.body)")
        let body = try #require(jsonObject(response))
        #expect(Set(body.keys) == ["id", "username", "discriminator", "avatar", "banner", "bio"])
        #expect(body["id"] as? String == bot.appID)
        #expect(body["username"] as? String == "shiny_bot")
        #expect(body["discriminator"] as? String == bot.discriminator)
        #expect(body["bio"] as? String == "I help.")
        #expect((body["avatar"] as? String)?.count == 32)
        #expect((body["banner"] as? String)?.hasPrefix("a_") == true)
        // Only the bot flags an owner may set take effect.
        #expect(try h.database.read { db in try db.queryOne("SELECT flags FROM users WHERE id = ?", Int64(bot.appID)!)?.int("flags") } == 48)

        let me = try #require(jsonObject(h.request("GET", "/applications/@me", auth: "Bot " + bot.token)))
        let shown = try #require(me["bot"] as? [String: Any])
        #expect(shown["username"] as? String == "shiny_bot")
        #expect(shown["bio"] as? String == "I help.")
        #expect(jsonObject(h.me("Bot " + bot.token))?["username"] as? String == "shiny_bot")

        let cleared = patchBot(h, bot.appID, ["avatar": NSNull(), "bio": NSNull(), "bot_flags": 0], auth: owner.token)
        #expect(cleared.status == 200)
        #expect(jsonObject(cleared)?["avatar"] is NSNull)
        #expect(jsonObject(cleared)?["bio"] is NSNull)
        #expect((jsonObject(cleared)?["banner"] as? String)?.hasPrefix("a_") == true)
    }

    @Test func failures_changeNothing() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let owner = try h.register(email: "own@example.com")
        let stranger = try h.register(email: "stranger@example.com")
        let bot = try createBot(h, owner: owner)
        let otherDiscriminator = bot.discriminator == "0001" ? "2" : "1"
        let denied: [(String, String, String?, [String: Any], Int, String)] = [
            ("no credential", bot.appID, nil, ["bio": "x"], 401, "UNAUTHORIZED"),
            ("bot token", bot.appID, "Bot " + bot.token, ["bio": "x"], 403, "ACCESS_DENIED"),
            ("not the owner", bot.appID, stranger.token, ["bio": "x"], 403, "ACCESS_DENIED"),
            ("unknown application", "123456789012345678", owner.token, ["bio": "x"], 404, "UNKNOWN_APPLICATION"),
            ("not a snowflake", "abc", owner.token, ["bio": "x"], 404, "UNKNOWN_APPLICATION"),
            ("a user, not an application", owner.userID, owner.token, ["bio": "x"], 404, "UNKNOWN_APPLICATION"),
        ]
        for (label, id, auth, body, status, code) in denied {
            let response = try h.expectNoChange(label) { patchBot(h, id, body, auth: auth) }
            #expect(response.status == status, "\(label): \(response.body)")
            #expect(errorCode(response) == code, "\(label)")
        }
        let invalid: [(String, [String: Any], [FormError])] = [
            ("username too long", ["username": String(repeating: "b", count: 33)], [.init(path: "username", code: "USERNAME_LENGTH_INVALID")]),
            ("username characters", ["username": "bad bot"], [.init(path: "username", code: "USERNAME_INVALID_CHARACTERS")]),
            ("username not a string", ["username": ["x"]], [.init(path: "username", code: "BASE_TYPE_INVALID")]),
            ("discriminator change", ["discriminator": otherDiscriminator], [.init(path: "discriminator", code: "BOT_DISCRIMINATOR_CANNOT_BE_CHANGED")]),
            ("discriminator format", ["discriminator": "12345"], [.init(path: "discriminator", code: "INVALID_FORMAT")]),
            ("discriminator null", ["discriminator": NSNull()], [.init(path: "discriminator", code: "BASE_TYPE_REQUIRED")]),
            ("username null", ["username": NSNull()], [.init(path: "username", code: "BASE_TYPE_REQUIRED")]),
            ("bot_flags null", ["bot_flags": NSNull()], [.init(path: "bot_flags", code: "BASE_TYPE_REQUIRED")]),
            ("bio too long", ["bio": String(repeating: "b", count: 1025)], [.init(path: "bio", code: "STRING_LENGTH_INVALID")]),
            ("avatar not an image", ["avatar": "aGVsbG8="], [.init(path: "avatar", code: "INVALID_IMAGE_FORMAT")]),
            ("banner bad data URI", ["banner": "data:image/png," + pngBase64], [.init(path: "banner", code: "INVALID_IMAGE_FORMAT")]),
            ("bot_flags negative", ["bot_flags": -1], [.init(path: "bot_flags", code: "INVALID_FORMAT")]),
            ("bot_flags too large", ["bot_flags": 2_147_483_648], [.init(path: "bot_flags", code: "INVALID_FORMAT")]),
            ("bot_flags not a number", ["bot_flags": "16"], [.init(path: "bot_flags", code: "BASE_TYPE_INVALID")]),
        ]
        for (label, body, errors) in invalid {
            let response = try h.expectNoChange(label) { patchBot(h, bot.appID, body, auth: owner.token) }
            #expect(response.status == 400, "\(label): \(response.body)")
            #expect(formErrors(response) == errors, "\(label): \(response.body)")
        }
        // A bio of exactly 1024 is fine, and so is sending the current discriminator.
        #expect(patchBot(h, bot.appID, ["bio": String(repeating: "b", count: 1024), "discriminator": bot.discriminator], auth: owner.token).status == 200)
    }

    @Test func username_takenTag_getsAnotherDiscriminator() throws {
        let h = try AccountsHarness()
        defer { h.stop() }
        let owner = try h.register(email: "tags@example.com")
        let first = try createBot(h, owner: owner, name: "First")
        let second = try createBot(h, owner: owner, name: "Second")
        // Give the second bot the first one's discriminator under its own name, then the first one's name.
        try h.database.write { db in
            _ = try db.run("UPDATE users SET discriminator = ? WHERE id = ?", Int(first.discriminator)!, Int64(second.appID)!)
        }
        let renamed = patchBot(h, second.appID, ["username": "First"], auth: owner.token)
        #expect(renamed.status == 200, "\(renamed.body)")
        #expect(jsonObject(renamed)?["username"] as? String == "First")
        #expect(jsonObject(renamed)?["discriminator"] as? String != first.discriminator)
    }

    @Test func oauthBearer_refused() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let owner = h.user("bearerowner")
        let (app, client) = h.confidentialApp(owner: owner)
        let (access, _) = try h.tokens(owner, client: client, scope: "identify")
        let response = h.request("PATCH", "/oauth2/applications/\(app.id)/bot",
                                 headers: [("Content-Type", "application/json"), ("Authorization", "Bearer " + access)], body: #"{"bio":"x"}"#)
        #expect(response.status == 403)
        #expect(errorCode(response) == "ACCESS_DENIED")
        #expect(try h.database.read { db in try db.queryOne("SELECT bio FROM users WHERE id = ?", Int64(app.id)!)?.string("bio") } == nil)
    }
}
