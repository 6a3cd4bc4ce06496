import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import FluxerPersistence
import Postgres
import PostgresTestSupport

/// Issue 13: "`fluxer-auth db copy` moves an existing install over, verified by row counts and a token that
/// keeps working": credentials minted on SQLite keep working when the copy is served from PostgreSQL.
@Suite(.serialized) struct DatabaseCopyServeTests {
    @Test(TestBackend.sqliteOnly) func sessionBotAndOAuthTokens_keepWorkingAfterTheCopy() throws {
        let dir = TempDir()
        defer { dir.remove() }
        // 1. An install on SQLite: a user with a session, an application with a bot token.
        let first = try AccountsHarness { $0.databasePath = dir.file("db/fluxer-auth.sqlite") }
        let account = try first.register(email: "frank@example.com")
        let created = first.post("/oauth2/applications", ["name": "Copied", "redirect_uris": ["https://app.example/cb"]], auth: account.token)
        #expect(created.status == 200, "\(created.body)")
        let bot = try #require((jsonObject(created)?["bot"] as? [String: Any])?["token"] as? String)
        #expect(first.me(account.token).status == 200)
        #expect(first.request("GET", "/users/@me", auth: "Bot \(bot)").status == 200)
        let users = try first.count("users")
        first.stop()

        // 2. Copied to a fresh PostgreSQL database.
        let target = try TestDatabase.make()
        let summary = try DatabaseCopy.run(from: "sqlite:" + dir.file("db/fluxer-auth.sqlite"), to: target.url)
        #expect(summary.tables.first { $0.name == "users" }?.rows == users)

        // 3. Served from PostgreSQL with the same secret: the same credentials work, revocation too.
        let url = try PostgresURL(target.url)
        let second = try AccountsHarness { $0.databaseURL = url }
        defer { second.stop() }
        #expect(second.me(account.token).status == 200)
        #expect(second.request("GET", "/users/@me", auth: "Bot \(bot)").status == 200)
        #expect(second.login(account.email, account.password).status == 200)
        #expect(second.request("POST", "/auth/logout", auth: account.token).status == 204)
        #expect(second.me(account.token).status == 401)
        // New ids continue above the copied ones (worker floors carried over).
        let another = try second.register(email: "gina@example.com")
        #expect(UInt64(another.userID)! > UInt64(account.userID)!)
    }
}
