import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// `fluxer-auth seed F`: creates what the file lists, reports what exists instead of duplicating it, and refuses a
/// malformed file or an unknown owner without creating anything.
@Suite struct SeedCommandTests {
    @Test func seed_createsOnce_thenReportsExisting_andTheSecretsWork() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        dir.write("seed.json", """
            {"users": [{"email": "alice@example.com", "username": "alice", "password": "alice password 1", "verified": true, "session": true},
                       {"email": "bob@example.com", "username": "bob", "password": "bob password 12"}],
             "applications": [{"owner": "alice@example.com", "name": "My Bot", "redirect_uris": ["https://app.example/cb"], "public": true}],
             "guilds": [{"owner": "alice@example.com", "name": "Test Guild", "members": [{"email": "bob@example.com", "permissions": "32"}]}]}
            """)
        let first = try JSONSerialization.jsonObject(with: Data(try SeedCommand.run(config: config, path: dir.file("seed.json")).utf8)) as! [String: Any]
        let users = first["users"] as! [[String: Any]]
        let apps = first["applications"] as! [[String: Any]]
        #expect(users.count == 2 && users[0]["session_token"] is String && users[0]["existing"] == nil)
        #expect(apps.count == 1 && apps[0]["bot_token"] is String && apps[0]["client_secret"] is String)
        let second = try JSONSerialization.jsonObject(with: Data(try SeedCommand.run(config: config, path: dir.file("seed.json")).utf8)) as! [String: Any]
        #expect((second["users"] as! [[String: Any]]).allSatisfy { $0["existing"] as? Bool == true })
        #expect((second["applications"] as! [[String: Any]]).allSatisfy { $0["existing"] as? Bool == true && $0["client_secret"] == nil })
        #expect((second["guilds"] as! [[String: Any]]).allSatisfy { $0["existing"] as? Bool == true })

        // The minted session and bot token work against a server on the same database.
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        let app = try App(config: config, sink: sink)
        try app.start()
        defer { app.shutdown() }
        #expect(TestClient.request(port: app.port, "GET", "/users/@me", headers: [("Authorization", users[0]["session_token"] as! String)]).status == 200)
        #expect(TestClient.request(port: app.port, "GET", "/users/@me", headers: [("Authorization", "Bot " + (apps[0]["bot_token"] as! String))]).status == 200)
        let guilds = TestClient.request(port: app.port, "GET", "/users/@me/guilds", headers: [("Authorization", users[0]["session_token"] as! String)])
        #expect(guilds.body.contains("Test Guild"))
    }

    @Test(arguments: [#"{"users": [{"email": 1}]}"#, "not json", #"{"applications": [{"owner": "nobody@example.com", "name": "x"}]}"#])
    func seed_refusesBadFiles(text: String) throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("seed.json", text)
        #expect(throws: UserCommands.Failure.self) { try SeedCommand.run(config: testConfig(dir), path: dir.file("seed.json")) }
    }
}
