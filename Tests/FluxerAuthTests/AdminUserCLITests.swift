import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// `fluxer-auth user list|show|disable|enable|delete`, parsed as the binary parses them, beside a running server on
/// the same database (SQLite file, or PostgreSQL with FLUXER_AUTH_TEST_BACKEND=postgres).
@Suite struct AdminUserCLITests {
    static let suspended = #"{"code":"ACCOUNT_SUSPENDED_PERMANENTLY","message":"This account has been permanently suspended."}"#
    static let summaryKeys: Set<String> = ["id", "username", "discriminator", "email", "verified", "bot", "disabled", "disabled_at", "created_at"]

    @Test func userList_pagesByID_filtersByEmailLiterally_andShowsNoSecret() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let users = ["alice", "bob", "carol"].map { running.registerUser($0) }
        let ids = users.map(\.id)

        let all = cli.run("user", "list")
        #expect(all.exitCode == 0)
        #expect(all.array.map { $0["id"] as? String } == ids)
        #expect(all.array.allSatisfy { Set($0.keys) == Self.summaryKeys })
        #expect(!all.stdout.contains("argon2") && !all.stdout.contains("password"))

        let first = cli.run("user", "list", "--limit", "2")
        #expect(first.array.map { $0["id"] as? String } == Array(ids.prefix(2)))
        let next = cli.run("user", "list", "--limit", "2", "--after", ids[1])
        #expect(next.array.map { $0["id"] as? String } == [ids[2]])

        #expect(cli.run("user", "list", "--email-contains", "BOB@EXAMPLE").array.map { $0["id"] as? String } == [ids[1]])
        // LIKE's wildcards are taken literally.
        #expect(cli.run("user", "list", "--email-contains", "%").array.isEmpty)
        #expect(cli.run("user", "list", "--email-contains", "_").array.isEmpty)

        let badLimit = cli.run("user", "list", "--limit", "0")
        #expect(badLimit.exitCode == 1 && badLimit.stderr == "limit: must be from 1 to 1000")
        let badAfter = cli.run("user", "list", "--after", "abc")
        #expect(badAfter.exitCode == 1 && badAfter.stderr == "after: abc is not an id (a snowflake)")
    }

    @Test func userShow_byIDOrEmail_unknownIsExit1() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let alice = running.registerUser("alice")
        let app = running.createApp(owner: alice)

        let byID = cli.run("user", "show", alice.id)
        #expect(byID.exitCode == 0)
        #expect(byID.object["email"] as? String == "alice@example.com")
        #expect(byID.object["sessions"] as? Int == 1)
        #expect(byID.object["applications"] as? [String] == [app.id])
        #expect(byID.object["has_password"] as? Bool == true)
        #expect(!byID.stdout.contains("argon2"))
        #expect(cli.run("user", "show", "ALICE@example.com").object["id"] as? String == alice.id)

        let unknown = cli.run("user", "show", "1234567890123")
        #expect(unknown.exitCode == 1 && unknown.stderr == "user 1234567890123: no such user")
        let unknownEmail = cli.run("user", "show", "nobody@example.com")
        #expect(unknownEmail.exitCode == 1 && unknownEmail.stderr == "user nobody@example.com: no such user")
        let malformed = cli.run("user", "show", "12ab")
        #expect(malformed.exitCode == 1 && malformed.stderr == "user: 12ab is not an id (a snowflake)")
    }

    /// The issue's "disabled users cannot log in or use any token": the running server refuses the session it had
    /// cached, the OAuth2 tokens stop, login answers the real server's suspended error, and it all comes back with
    /// `user enable` (except what was revoked).
    @Test func userDisable_endsSessionsAndGrantsOnTheRunningServerAtOnce_andLoginIsSuspended() throws {
        // A long cache TTL: only the invalidation can end what the server holds in memory.
        let harness = try OAuthHarness { $0.sessionCacheTTLMilliseconds = 600_000 }
        defer { harness.stop() }
        let running = harness.running
        let cli = try AdminCLI(running: running)
        let alice = running.registerUser("alice")
        let owner = running.registerUser("owner")
        let (_, client) = harness.confidentialApp(owner: owner)
        let (access, refresh) = try harness.tokens(alice, client: client)
        #expect(running.meStatus(alice.auth) == 200 && running.meStatus(alice.auth) == 200)  // now cached
        #expect(harness.meStatus(bearer: access) == 200)

        // Without --yes: says what it would do, exit 2, nothing changes.
        let before = try AdminSnapshot.take(running.app)
        let refused = cli.run("user", "disable", alice.id)
        #expect(refused.exitCode == 2)
        #expect(refused.stderr == "user disable: would disable user \(alice.id) (alice@example.com): it could no longer sign in, its 1 "
            + "session(s) would end and its OAuth2 grants be revoked; nothing was changed, give --yes to do it")
        #expect(try AdminSnapshot.take(running.app) == before)
        #expect(running.meStatus(alice.auth) == 200)
        // An unknown id: exit 1, nothing changes.
        let unknown = cli.run("user", "disable", "1234567890123", "--yes")
        #expect(unknown.exitCode == 1 && unknown.stderr == "user 1234567890123: no such user")
        #expect(try AdminSnapshot.take(running.app) == before)

        let done = cli.run("user", "disable", "alice@example.com", "--yes")
        #expect(done.exitCode == 0, "\(done.stderr)")
        #expect(done.object["disabled"] as? Bool == true && done.object["sessions_revoked"] as? Int == 1)
        #expect(running.eventually { running.meStatus(alice.auth) == 401 }, "the running server still accepts a disabled user's session")
        #expect(running.eventually { harness.meStatus(bearer: access) == 401 })
        #expect(oauthError(harness.refresh(refresh, client: client)) == "invalid_grant")

        // Sign-in: the suspended answer only for the right password; a wrong one learns nothing.
        let login = running.call("POST", "/auth/login", json: jsonText(["email": "alice@example.com", "password": alice.password]))
        #expect(login.status == 403 && login.body == Self.suspended)
        let wrong = running.call("POST", "/auth/login", json: jsonText(["email": "alice@example.com", "password": "not the password"]))
        #expect(wrong.status == 400 && wrong.body.contains("INVALID_EMAIL_OR_PASSWORD"))
        // The authorize page's own sign-in form says so in HTML, and sets no session cookie.
        let browser = OAuthBrowserFlowTests.Browser(h: harness)
        let form = browser.get(authorizePath(OAuthBrowserFlowTests.pairs(client.id)))
        let page = browser.post("/oauth2/authorize/login", hiddenInputs(form.body) + [("email", "alice@example.com"), ("password", alice.password)],
                                origin: harness.issuer)
        #expect(page.status == 403 && page.body.contains("This account has been suspended."))
        #expect(!setCookies(page).contains { $0.hasPrefix("fluxer_session=") })
        #expect(throws: UserCommands.Failure.self) { try UserCommands.token(config: running.app.context.config, email: "alice@example.com") }
        #expect(try running.count("sessions") == 1)  // the owner's only
        #expect(try running.cliAuditEvents() == ["user.disable:"])

        // Disabling again is harmless; enabling lets the account sign in, its old credentials stay dead.
        #expect(cli.run("user", "disable", alice.id, "--yes").object["already_disabled"] as? Bool == true)
        let enabled = cli.run("user", "enable", alice.id)
        #expect(enabled.exitCode == 0 && enabled.object["was_disabled"] as? Bool == true)
        let again = running.call("POST", "/auth/login", json: jsonText(["email": "alice@example.com", "password": alice.password]))
        #expect(again.status == 200)
        #expect(running.meStatus(alice.auth) == 401 && harness.meStatus(bearer: access) == 401)
        #expect(try running.cliAuditEvents() == ["user.disable:", "user.disable:already_disabled", "user.enable:"])
        let unknownEnable = cli.run("user", "enable", "1234567890123")
        #expect(unknownEnable.exitCode == 1 && unknownEnable.stderr == "user 1234567890123: no such user")
    }

    @Test func userDisable_ofABot_stopsItsTokenUntilEnabled() throws {
        let running = try RunningApp { $0.sessionCacheTTLMilliseconds = 600_000 }
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let app = running.createApp(owner: running.registerUser("owner"))
        #expect(running.meStatus(app.botAuth) == 200 && running.meStatus(app.botAuth) == 200)
        #expect(cli.run("user", "disable", app.id, "--yes").exitCode == 0)
        #expect(running.eventually { running.meStatus(app.botAuth) == 401 })
        #expect(cli.run("user", "enable", app.id).exitCode == 0)
        #expect(running.eventually { running.meStatus(app.botAuth) == 200 })
    }

    @Test func userDelete_removesTheUserAndEverythingHangingOffIt_refusesBots() throws {
        let running = try RunningApp { $0.sessionCacheTTLMilliseconds = 600_000 }
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let owner = running.registerUser("owner")
        let bystander = running.registerUser("bystander")
        let app = running.createApp(owner: owner)
        _ = try GuildCommands.create(config: running.app.context.config, owner: owner.id, name: "Owned Guild")
        #expect(running.meStatus(owner.auth) == 200 && running.meStatus(app.botAuth) == 200)

        let before = try AdminSnapshot.take(running.app)
        let bot = cli.run("user", "delete", app.id, "--yes")
        #expect(bot.exitCode == 1 && bot.stderr == "user \(app.id) is a bot: delete its application instead (fluxer-auth app delete \(app.id))")
        let unknown = cli.run("user", "delete", "1234567890123", "--yes")
        #expect(unknown.exitCode == 1 && unknown.stderr == "user 1234567890123: no such user")
        let refused = cli.run("user", "delete", owner.id)
        #expect(refused.exitCode == 2)
        #expect(refused.stderr == "user delete: would delete user \(owner.id) (owner@example.com) with its 1 application(s) and their bots, "
            + "1 session(s), OAuth2 grants, second factors, SSO links and the guilds it owns; nothing was changed, give --yes to do it")
        #expect(try AdminSnapshot.take(running.app) == before)

        let done = cli.run("user", "delete", owner.id, "--yes")
        #expect(done.exitCode == 0, "\(done.stderr)")
        #expect(done.object["applications_deleted"] as? [String] == [app.id])
        #expect(running.eventually { running.meStatus(owner.auth) == 401 && running.meStatus(app.botAuth) == 401 })
        #expect(try running.count("users", id: owner.id) == 0 && running.count("users", id: app.id) == 0)
        #expect(try running.count("applications") == 0 && running.count("guilds") == 0)
        #expect(running.meStatus(bystander.auth) == 200)
        #expect(try running.cliAuditEvents() == ["app.delete:owner_deleted", "user.delete:"])
    }
}
