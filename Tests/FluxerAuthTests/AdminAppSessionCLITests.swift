import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// `fluxer-auth app list|show|delete` and `sessions list|revoke`, beside a running server on the same database.
@Suite struct AdminAppSessionCLITests {
    static let appKeys: Set<String> = ["id", "name", "owner_id", "bot_id", "public_client", "bot_public", "redirect_uris", "created_at"]
    static let sessionKeys: Set<String> = ["id_hash", "created_at", "last_used_at", "ip", "user_agent", "desktop", "expired"]

    @Test func appListAndShow_byOwner_neverPrintSecrets() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let alice = running.registerUser("alice")
        let bob = running.registerUser("bob")
        let first = running.createApp(owner: alice, name: "First", redirectURIs: ["https://app.example/cb"])
        let second = running.createApp(owner: bob, name: "Second")

        let all = cli.run("app", "list")
        #expect(all.exitCode == 0)
        #expect(all.array.map { $0["id"] as? String } == [first.id, second.id])
        #expect(all.array.allSatisfy { Set($0.keys) == Self.appKeys })
        #expect(cli.run("app", "list", "--owner", bob.id).array.map { $0["id"] as? String } == [second.id])
        let noOwner = cli.run("app", "list", "--owner", "1234567890123")
        #expect(noOwner.exitCode == 1 && noOwner.stderr == "owner 1234567890123: no such user")

        let shown = cli.run("app", "show", first.id)
        #expect(shown.exitCode == 0)
        #expect((shown.object["owner"] as? [String: Any])?["id"] as? String == alice.id)
        #expect((shown.object["bot"] as? [String: Any])?["id"] as? String == first.id)
        #expect(shown.object["redirect_uris"] as? [String] == ["https://app.example/cb"])
        #expect(shown.object["has_client_secret"] as? Bool == true)
        for output in [all.stdout, shown.stdout] {
            #expect(!output.contains(first.clientSecret) && !output.contains(first.botToken) && !output.contains("token"))
        }
        let unknown = cli.run("app", "show", "1234567890123")
        #expect(unknown.exitCode == 1 && unknown.stderr == "application 1234567890123: no such application")
    }

    @Test func appDelete_refusesWithoutYes_thenEndsTheBotAndItsGrantsAtOnce() throws {
        let harness = try OAuthHarness { $0.sessionCacheTTLMilliseconds = 600_000 }
        defer { harness.stop() }
        let running = harness.running
        let cli = try AdminCLI(running: running)
        let owner = running.registerUser("owner")
        let alice = running.registerUser("alice")
        let (app, client) = harness.confidentialApp(owner: owner)
        let (access, _) = try harness.tokens(alice, client: client)
        #expect(running.meStatus(app.botAuth) == 200 && harness.meStatus(bearer: access) == 200)

        let before = try AdminSnapshot.take(running.app)
        let refused = cli.run("app", "delete", app.id)
        #expect(refused.exitCode == 2)
        #expect(refused.stderr == "app delete: would delete application \(app.id) (Acme Client) with its bot user, its bot token and every "
            + "OAuth2 grant and token issued to it; nothing was changed, give --yes to do it")
        let unknown = cli.run("app", "delete", "1234567890123", "--yes")
        #expect(unknown.exitCode == 1 && unknown.stderr == "application 1234567890123: no such application")
        let malformed = cli.run("app", "delete", "-", "--yes")
        #expect(malformed.exitCode == 1 && malformed.stderr == "application: - is not an id (a snowflake)")
        #expect(try AdminSnapshot.take(running.app) == before)
        #expect(running.meStatus(app.botAuth) == 200)

        let done = cli.run("app", "delete", app.id, "--yes")
        #expect(done.exitCode == 0 && done.object["deleted"] as? Bool == true)
        #expect(running.eventually { running.meStatus(app.botAuth) == 401 && harness.meStatus(bearer: access) == 401 })
        #expect(try running.count("applications") == 0 && running.count("users", id: app.id) == 0)
        #expect(running.meStatus(owner.auth) == 200 && running.meStatus(alice.auth) == 200)
        #expect(try running.cliAuditEvents() == ["app.delete:"])
    }

    @Test func sessionsListAndRevoke_oneOrAll_onTheRunningServer() throws {
        let running = try RunningApp { $0.sessionCacheTTLMilliseconds = 600_000 }
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let alice = running.registerUser("alice")
        let login = running.call("POST", "/auth/login", json: jsonText(["email": "alice@example.com", "password": alice.password]))
        let second = try #require(jsonObject(login.body)["token"] as? String)
        #expect(running.meStatus(alice.auth) == 200 && running.meStatus(second) == 200)

        let listed = cli.run("sessions", "list", "--user", alice.id)
        #expect(listed.exitCode == 0)
        #expect(Set(listed.array.compactMap { $0["id_hash"] as? String }) == [idHash(of: alice.token), idHash(of: second)])
        #expect(listed.array.allSatisfy { Set($0.keys) == Self.sessionKeys && $0["expired"] as? Bool == false })
        #expect(!listed.stdout.contains(alice.token) && !listed.stdout.contains(second))
        let nobody = cli.run("sessions", "list", "--user", "1234567890123")
        #expect(nobody.exitCode == 1 && nobody.stderr == "user 1234567890123: no such user")

        let before = try AdminSnapshot.take(running.app)
        let malformed = cli.run("sessions", "revoke", "--user", alice.id, "--session", "not-a-hash", "--yes")
        #expect(malformed.exitCode == 1 && malformed.stderr == "session: must be a session's id_hash (43 base64url characters, see `sessions list`)")
        let stranger = idHash(of: "flx_not_a_session_of_alice")
        let unknown = cli.run("sessions", "revoke", "--user", alice.id, "--session", stranger, "--yes")
        #expect(unknown.exitCode == 1 && unknown.stderr == "session \(stranger): no session of user \(alice.id) (alice@example.com) has that id_hash")
        let refusedOne = cli.run("sessions", "revoke", "--user", alice.id, "--session", idHash(of: second))
        #expect(refusedOne.exitCode == 2)
        #expect(refusedOne.stderr == "sessions revoke: would end session \(idHash(of: second)) of user \(alice.id) (alice@example.com); "
            + "nothing was changed, give --yes to do it")
        let refusedAll = cli.run("sessions", "revoke", "--user", alice.id)
        #expect(refusedAll.exitCode == 2 && refusedAll.stderr.hasPrefix("sessions revoke: would end all 2 session(s) of user \(alice.id)"))
        #expect(try AdminSnapshot.take(running.app) == before)

        let one = cli.run("sessions", "revoke", "--user", alice.id, "--session", idHash(of: second), "--yes")
        #expect(one.exitCode == 0 && one.object["sessions_revoked"] as? Int == 1)
        #expect(running.eventually { running.meStatus(second) == 401 })
        #expect(running.meStatus(alice.auth) == 200)

        let all = cli.run("sessions", "revoke", "--user", "alice@example.com", "--yes")
        #expect(all.exitCode == 0 && all.object["sessions_revoked"] as? Int == 1)
        #expect(running.eventually { running.meStatus(alice.auth) == 401 })
        #expect(try running.cliAuditEvents() == ["session.revoke:one", "session.revoke:all"])
    }
}
