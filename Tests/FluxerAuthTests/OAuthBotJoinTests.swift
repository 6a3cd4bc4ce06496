import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import FluxerDomain

/// The `bot` scope with `guild_id` and `permissions` (fluxer-api §9 "The bot scope with guild_id"): who may add
/// a bot, with which permission bits, through the JSON consent API and the HTML page.
@Suite struct OAuthBotJoinTests {
    /// Alice owns the app (a public bot); Carol owns a guild.
    static func setUp() throws -> (OAuthHarness, alice: TestUser, carol: TestUser, app: CreatedApp, guild: UInt64) {
        let h = try OAuthHarness()
        let alice = h.user("alice")
        let carol = h.user("carol")
        let (app, _) = h.confidentialApp(owner: alice, name: "Helper Bot")
        let guild = try h.guild(owner: carol, name: "Carol's Guild")
        return (h, alice, carol, app, guild)
    }

    static func botJoin(_ h: OAuthHarness, _ user: TestUser, app: CreatedApp, guild: UInt64, permissions: String? = "8") -> TestResponse {
        var fields = ["client_id": app.id, "scope": "bot", "guild_id": String(guild)]
        if let permissions { fields["permissions"] = permissions }
        return h.consent(user, fields)
    }

    @Test func guildOwner_addsBot_withPermissionBits() throws {
        let (h, _, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        let r = Self.botJoin(h, carol, app: app, guild: guild, permissions: "2056")
        #expect(r.status == 200, "\(r.body)")
        #expect(jsonObject(r.body)["redirect_to"] as? String == h.issuer + "/oauth2/authorized")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == 2056)
        #expect(try h.count("guild_members", where: "user_id = \(app.id) AND join_source = 'BOT_INVITE'") == 1)
        // A bot-only request issues no code.
        #expect(try h.count("oauth2_codes") == 0)
        // The bot sees the guild through its own token.
        let guilds = jsonArray(h.get("/users/@me/guilds", auth: app.botAuth).body) as? [[String: Any]] ?? []
        #expect(guilds.map { $0["id"] as? String } == [String(guild)])
    }

    @Test func permissionsAreMasked_andDefaultToZero() throws {
        let (h, _, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        #expect(Self.botJoin(h, carol, app: app, guild: guild, permissions: String((Int64(1) << 53) + 8)).status == 200)
        #expect(try h.memberPermissions(guild: guild, user: app.id) == 8)
        let (app2, _) = h.confidentialApp(owner: carol, name: "Second Bot")
        #expect(Self.botJoin(h, carol, app: app2, guild: guild, permissions: nil).status == 200)
        #expect(try h.memberPermissions(guild: guild, user: app2.id) == 0)
    }

    @Test func manageGuildMember_canAdd() throws {
        let (h, _, _, app, guild) = try Self.setUp()
        defer { h.stop() }
        let dave = h.user("dave")
        try h.addMember(guild: guild, user: dave.id, permissions: GuildPermission.manageGuild)
        let r = Self.botJoin(h, dave, app: app, guild: guild, permissions: String(GuildPermission.manageGuild))
        #expect(r.status == 200, "\(r.body)")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == GuildPermission.manageGuild)
    }

    /// "A bot added with bot scope gets the permissions requested, not those of the inviter": the request is masked
    /// by the inviter's bits. The guild's owner and a member with ADMINISTRATOR can grant every bit; a member with
    /// MANAGE_GUILD only what they hold (ADMINISTRATOR included: asking for it gets nothing of it).
    @Test func botPermissions_maskedByTheInviters() throws {
        let (h, _, carol, _, guild) = try Self.setUp()
        defer { h.stop() }
        let requested: Int64 = GuildPermission.administrator | GuildPermission.manageGuild | 1 | 2 | 4 | (1 << 40)
        let dave = h.user("dave")    // MANAGE_GUILD and KICK (1 << 1)
        let erin = h.user("erin")    // ADMINISTRATOR
        let frank = h.user("frank")  // MANAGE_GUILD, BAN (1 << 2) and bit 40
        try h.addMember(guild: guild, user: dave.id, permissions: GuildPermission.manageGuild | 2)
        try h.addMember(guild: guild, user: erin.id, permissions: GuildPermission.administrator)
        try h.addMember(guild: guild, user: frank.id, permissions: GuildPermission.manageGuild | 4 | (1 << 40))
        let expected: [(TestUser, Int64)] = [
            (carol, requested),                                              // the owner (member row or not)
            (erin, requested),                                               // ADMINISTRATOR: all
            (dave, GuildPermission.manageGuild | 2),
            (frank, GuildPermission.manageGuild | 4 | (1 << 40)),
        ]
        for (index, (inviter, bits)) in expected.enumerated() {
            let (app, _) = h.confidentialApp(owner: inviter, name: "Bot \(index)")
            let r = Self.botJoin(h, inviter, app: app, guild: guild, permissions: String(requested))
            #expect(r.status == 200, "\(inviter.id): \(r.body)")
            #expect(try h.memberPermissions(guild: guild, user: app.id) == bits, "inviter \(index)")
        }
        // The owner's bits count even when their member row says less (ownership is all permissions).
        _ = try h.database.write { db in
            try db.run("UPDATE guild_members SET permissions = 0 WHERE guild_id = ? AND user_id = ?", Int64(guild), Int64(carol.id)!)
        }
        let (last, _) = h.confidentialApp(owner: carol, name: "Owner's Bot")
        #expect(Self.botJoin(h, carol, app: last, guild: guild, permissions: String(requested)).status == 200)
        #expect(try h.memberPermissions(guild: guild, user: last.id) == requested)
        // The HTML page applies the same rule.
        let (pageApp, _) = h.confidentialApp(owner: dave, name: "Page Bot")
        let cookie = [("Cookie", "fluxer_session=\(dave.token)")]
        let page = h.request("GET", authorizePath([("client_id", pageApp.id), ("scope", "bot"), ("guild_id", String(guild)),
                                                   ("permissions", String(requested))]), headers: cookie)
        #expect(page.status == 200, "\(page.body)")
        let done = h.form("/oauth2/authorize/decision", hiddenInputs(page.body) + [("action", "authorize")], headers: cookie)
        #expect(done.status == 200, "\(done.body)")
        #expect(try h.memberPermissions(guild: guild, user: pageApp.id) == GuildPermission.manageGuild | 2)
    }

    @Test func plainMember_isMissingPermissions() throws {
        let (h, _, _, app, guild) = try Self.setUp()
        defer { h.stop() }
        let erin = h.user("erin")
        try h.addMember(guild: guild, user: erin.id, permissions: 1 | 2 | 4 | 16 | 64)
        let r = Self.botJoin(h, erin, app: app, guild: guild)
        #expect(r.status == 403 && errorCode(r) == "MISSING_PERMISSIONS", "\(r.body)")
        // Not a member at all, or an unknown guild: the same.
        let frank = h.user("frank")
        #expect(errorCode(Self.botJoin(h, frank, app: app, guild: guild)) == "MISSING_PERMISSIONS")
        #expect(errorCode(Self.botJoin(h, erin, app: app, guild: 1234567890123456789)) == "MISSING_PERMISSIONS")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == nil)
        #expect(try h.count("oauth2_authorizations") == 0)
    }

    @Test func alreadyMember_isBotAlreadyInGuild() throws {
        let (h, _, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        #expect(Self.botJoin(h, carol, app: app, guild: guild).status == 200)
        let again = Self.botJoin(h, carol, app: app, guild: guild, permissions: "32")
        #expect(again.status == 400 && errorCode(again) == "BOT_ALREADY_IN_GUILD", "\(again.body)")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == 8)
    }

    @Test func privateBot_byNonOwner_is403() throws {
        let (h, alice, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        try h.setBotPublic(app.id, false)
        let r = Self.botJoin(h, carol, app: app, guild: guild)
        #expect(r.status == 403, "\(r.body)")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == nil)
        // The HTML page refuses too.
        let page = h.request("GET", authorizePath([("client_id", app.id), ("scope", "bot"), ("guild_id", String(guild))]),
                             headers: [("Cookie", "fluxer_session=\(carol.token)")])
        #expect(page.status == 403 && page.header("Location") == nil)
        // The owner may add their private bot to a guild they manage.
        let aliceGuild = try h.guild(owner: alice, name: "Alice's Guild")
        #expect(Self.botJoin(h, alice, app: app, guild: aliceGuild).status == 200)
        #expect(try h.memberPermissions(guild: aliceGuild, user: app.id) == 8)
    }

    /// `bot identify` with a redirect: the bot joins and the client also gets a code.
    @Test func botWithIdentify_joinsAndIssuesCode() throws {
        let (h, _, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        let r = h.consent(carol, ["response_type": "code", "client_id": app.id, "scope": "identify bot", "redirect_uri": oauthRedirect,
                                  "guild_id": String(guild), "permissions": "8", "state": "b1"])
        #expect(r.status == 200, "\(r.body)")
        let q = queryParameters(jsonObject(r.body)["redirect_to"] as? String ?? "")
        #expect(isTokenShaped(q["code"]) && q["state"] == "b1")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == 8)
        let exchanged = h.exchange(try #require(q["code"]), client: OAuthClient(id: app.id, secret: app.clientSecret))
        #expect(exchanged.status == 200)
        #expect(jsonObject(exchanged.body)["scope"] as? String == "identify bot")
    }

    /// The HTML page: consent names the guild; Authorize adds the bot and shows a page (no redirect).
    @Test func htmlFlow_addsBot() throws {
        let (h, _, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        let cookie = [("Cookie", "fluxer_session=\(carol.token)")]
        let page = h.request("GET", authorizePath([("client_id", app.id), ("scope", "bot"), ("guild_id", String(guild)),
                                                   ("permissions", "8")]), headers: cookie)
        #expect(page.status == 200, "\(page.body)")
        #expect(page.body.contains("Carol&#39;s Guild"))
        #expect(page.body.contains(WebPage.escape(OAuthScope.bot.consentText)))
        let done = h.form("/oauth2/authorize/decision", hiddenInputs(page.body) + [("action", "authorize")], headers: cookie)
        #expect(done.status == 200, "\(done.body)")
        #expect(done.header("Location") == nil)
        #expect(done.body.contains("Bot added"))
        #expect(try h.memberPermissions(guild: guild, user: app.id) == 8)
        // Again: the page reports the bot is already there.
        let again = h.request("GET", authorizePath([("client_id", app.id), ("scope", "bot"), ("guild_id", String(guild))]), headers: cookie)
        let second = h.form("/oauth2/authorize/decision", hiddenInputs(again.body) + [("action", "authorize")], headers: cookie)
        #expect(second.status == 400)
    }

    /// Without guild_id the page offers the guilds the user manages.
    @Test func htmlFlow_guildPicker() throws {
        let (h, _, carol, app, guild) = try Self.setUp()
        defer { h.stop() }
        let cookie = [("Cookie", "fluxer_session=\(carol.token)")]
        let page = h.request("GET", authorizePath([("client_id", app.id), ("scope", "bot"), ("permissions", "8")]), headers: cookie)
        #expect(page.status == 200)
        #expect(page.body.contains("<option value=\"\(guild)\">"))
        let done = h.form("/oauth2/authorize/decision", hiddenInputs(page.body) + [("guild_id", String(guild)), ("action", "authorize")],
                          headers: cookie)
        #expect(done.status == 200, "\(done.body)")
        #expect(try h.memberPermissions(guild: guild, user: app.id) == 8)
    }
}
