import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import FluxerDomain
import FluxerPersistence

/// Issue 16, mock mode: the dev seed's fixed values work, a bad seed file is refused whole with the path of every
/// bad entry and nothing written, `POST /_dev/reset` returns the database to the fixtures in one transaction, and
/// the dev-only fixture key never reaches a production key ring.
extension TestResponse {
    /// The body as a JSON object (empty when it is not one).
    fileprivate var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

@Suite struct DevMockTests {
    static let devSeed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../config/seed.dev.json").standardizedFileURL.path
    static let botToken = "1000000000000000101.Af8AAAGbdtqoAMRKtfKG7qy5gYzz0uAk84CfblWeK0iHDRMlSbOOHWL90O8e5H1qbgJpwn9L-efc2EjHKXFG0Tuv"
    static let clientSecret = "cGqFzJjayHrrMHHTCBvHNL55gQVyBiEu8FFcpzOQoVY"

    private func userCount(_ config: Config) throws -> Int64 {
        let database = try config.openDatabase()
        defer { database.close() }
        return try database.read { try $0.queryOne("SELECT count(*) AS n FROM users")?.int("n") ?? -1 }
    }

    // MARK: - Refusals

    @Test(arguments: [
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1", "pasword": "x"}]}"#, "users.0.pasword: unknown key"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1"}, {"email": "nope", "username": "b", "password": "long enough 2"}]}"#,
         "users.1.email:"),
        (#"{"users": [{"id": "5", "email": "a@example.com", "username": "a", "password": "long enough 1"}, {"id": "5", "email": "b@example.com", "username": "b", "password": "long enough 2"}]}"#,
         "users.1.id: 5 is used twice"),
        (#"{"users": [{"id": "x5", "email": "a@example.com", "username": "a", "password": "long enough 1"}]}"#, "users.0.id: must be a snowflake"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1", "totp_secret": "!!"}]}"#, "users.0.totp_secret:"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1", "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "sms_mfa": true}]}"#,
         "users.0.sms_mfa: needs phone"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1", "discriminator": 0}]}"#, "users.0.discriminator:"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1"}], "applications": [{"owner": "a@example.com", "name": "x", "client_secret": "short"}]}"#,
         "applications.0.client_secret:"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1"}], "applications": [{"id": "77", "owner": "a@example.com", "name": "x", "bot_token": "77.AAAA"}]}"#,
         "applications.0.bot_token: not a bot token"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1"}], "applications": [{"owner": "nobody@example.com", "name": "x"}]}"#,
         "applications.0.owner: nobody@example.com is not a user"),
        (#"{"users": [{"email": "a@example.com", "username": "a", "password": "long enough 1"}], "guilds": [{"owner": "a@example.com", "name": "g", "members": [{"email": "a@example.com", "permissions": "-1"}]}]}"#,
         "guilds.0.members.0.permissions:"),
        (#"{"users": {"email": "a@example.com"}}"#, "users:"),
        (#"{"usrs": []}"#, "usrs: unknown key"),
    ])
    func badSeedFile_isRefusedWhole_withThePath_andNothingIsWritten(text: String, expected: String) throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        dir.write("seed.json", text)
        do {
            _ = try SeedCommand.run(config: config, path: dir.file("seed.json"))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.hasPrefix("seed: \(dir.file("seed.json")): "))
        }
        // The whole file or nothing: the users listed before the bad entry were not written either.
        #expect(try userCount(config) == 0)
    }

    @Test func productionKeyRing_lacksTheDevFixtureKey_soTheDevSeedIsRefusedOutsideDevMode() throws {
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.dev = false
        #expect(config.botTokenKeyRing(secret: config.secretKey!).keys[BotTokenKeyRing.devFixtureKeyID] == nil)
        #expect(BotToken.verify(Substring(Self.botToken), keys: config.botTokenKeyRing(secret: config.secretKey!)) == nil)
        config.dev = true
        #expect(BotToken.verify(Substring(Self.botToken), keys: config.botTokenKeyRing(secret: config.secretKey!))?.keyID == 255)
        config.dev = false
        #expect(throws: UserCommands.Failure.self) { try SeedCommand.run(config: config, path: Self.devSeed) }
        #expect(try userCount(config) == 0)
    }

    // MARK: - The dev seed's fixed values

    @Test func devSeed_fixedIdsPasswordsSecretsAndBotToken_work() throws {
        let harness = try AccountsHarness { $0.seedFile = Self.devSeed }
        defer { harness.stop() }
        let config = harness.running.app.context.config
        _ = try SeedCommand.run(config: config, path: Self.devSeed)

        let bot = harness.request("GET", "/users/@me", auth: "Bot " + Self.botToken)
        #expect(bot.status == 200 && bot.body.contains(#""id":"1000000000000000101""#))
        let alice = harness.request("POST", "/auth/login", json: #"{"email":"alice@example.com","password":"fluxer-dev-alice"}"#)
        #expect(alice.status == 200 && alice.body.contains(#""user_id":"1000000000000000001""#))
        let me = harness.request("GET", "/users/@me", auth: try #require(alice.object["token"] as? String))
        #expect(me.body.contains(#""discriminator":"0001""#) && me.body.contains(#""global_name":"Alice""#))

        // Bob: TOTP from the fixed secret.
        let bob = harness.request("POST", "/auth/login", json: #"{"email":"bob@example.com","password":"fluxer-dev-bob"}"#)
        let ticket = try #require(bob.object["ticket"] as? String)
        let code = TOTP.code(secret: Base32.decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")!, counter: TOTP.counter(at: harness.clock.now / 1000))
        let done = harness.request("POST", "/auth/login/mfa/totp", json: #"{"code":"\#(code)","ticket":"\#(ticket)"}"#)
        #expect(done.status == 200 && done.body.contains(#""user_id":"1000000000000000002""#))
        // Carol: TOTP and SMS, the phone hint from the fixture.
        let carol = harness.request("POST", "/auth/login", json: #"{"email":"carol@example.com","password":"fluxer-dev-carol"}"#)
        #expect(carol.body.contains(#""allowed_methods":["totp","sms"]"#) && carol.body.contains(#""sms_phone_hint":"****0123""#))
        // Dave is not verified.
        let dave = harness.request("POST", "/auth/login", json: #"{"email":"dave@example.com","password":"fluxer-dev-dave"}"#)
        let daveMe = harness.request("GET", "/users/@me", auth: try #require(dave.object["token"] as? String))
        #expect(daveMe.body.contains(#""verified":false"#))

        // The fixed client secret authenticates the application (a wrong one does not).
        let basic = "Basic " + Base64.encode(Array("1000000000000000101:\(Self.clientSecret)".utf8))
        let form = ("Content-Type", "application/x-www-form-urlencoded")
        let introspect = TestClient.request(port: harness.port, "POST", "/oauth2/introspect", headers: [form, ("Authorization", basic)],
                                            body: "token=nothing")
        #expect(introspect.status == 200 && introspect.body.contains(#""active":false"#))
        let wrongBasic = "Basic " + Base64.encode(Array("1000000000000000101:\(String(Self.clientSecret.reversed()))".utf8))
        let wrong = TestClient.request(port: harness.port, "POST", "/oauth2/introspect", headers: [form, ("Authorization", wrongBasic)],
                                       body: "token=nothing")
        #expect(wrong.status == 401 || wrong.status == 400)
    }

    // MARK: - POST /_dev/reset

    @Test func reset_returnsTheDatabaseToTheFixtures_inOneTransaction() throws {
        let harness = try AccountsHarness { $0.seedFile = Self.devSeed }
        defer { harness.stop() }
        _ = try SeedCommand.run(config: harness.running.app.context.config, path: Self.devSeed)
        // Things a developer did since: a new account (with a verification mail), a session, a new bot token.
        let registered = harness.request("POST", "/auth/register", json: """
            {"email":"new@example.com","username":"newbie","password":"a new password 1","date_of_birth":"1990-01-01","consent":true}
            """)
        #expect(registered.status == 200)
        let session = try #require(harness.request("POST", "/auth/login", json: #"{"email":"alice@example.com","password":"fluxer-dev-alice"}"#)
            .object["token"] as? String)
        let reset = harness.request("POST", "/oauth2/applications/1000000000000000101/bot/reset-token", json: #"{"password":"fluxer-dev-alice"}"#,
                                    auth: session)
        #expect(reset.status == 200)
        #expect(harness.request("GET", "/users/@me", auth: "Bot " + Self.botToken).status == 401)

        let answer = harness.request("POST", "/_dev/reset")
        #expect(answer.status == 200 && answer.body.contains(#""reset":true"#))
        #expect(harness.request("GET", "/users/@me", auth: "Bot " + Self.botToken).status == 200, "the fixed bot token is back")
        #expect(harness.request("GET", "/users/@me", auth: session).status == 401, "sessions from before are gone")
        #expect(harness.request("POST", "/auth/login", json: #"{"email":"new@example.com","password":"a new password 1"}"#).status == 400)
        #expect(harness.request("POST", "/auth/login", json: #"{"email":"alice@example.com","password":"fluxer-dev-alice"}"#).status == 200)
        #expect(harness.request("GET", "/_dev/outbox").body == #"{"messages":[]}"#)
        #expect(try userCount(harness.running.app.context.config) == 4 + 2, "four users and two bots")
        // Idempotent: a second reset gives the same database.
        #expect(harness.request("POST", "/_dev/reset").status == 200)
        #expect(try userCount(harness.running.app.context.config) == 6)
    }

    @Test func reset_existsOnlyInDevMode() throws {
        let harness = try AccountsHarness { $0.dev = false }
        defer { harness.stop() }
        #expect(harness.request("POST", "/_dev/reset").status == 404)
    }

    @Test func startTable_namesTheLoginsTheCredentialsAndWorkingCurlLines() throws {
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.seedFile = Self.devSeed
        let fixtures = try Fixtures.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Self.devSeed))),
                                          keys: config.botTokenKeyRing(secret: config.secretKey!), blocklist: true)
        let table = DevSeed.startTable(config: config, boundPort: 8123, fixtures: fixtures)
        for needle in ["http://127.0.0.1:8123/api/v1", "alice@example.com", "fluxer-dev-alice", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                       Self.clientSecret, Self.botToken, "1000000000000000102", "PKCE",
                       "curl -s http://127.0.0.1:8123/api/v1/users/@me -H 'Authorization: Bot \(Self.botToken)'", "/_dev/reset"] {
            #expect(table.contains(needle), "missing \(needle)")
        }
    }
}
