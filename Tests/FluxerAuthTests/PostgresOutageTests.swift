import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import Postgres
import PostgresTestSupport

/// Issue 13: "while running, 503 with Retry-After" when PostgreSQL cannot be reached, and service resumes by
/// itself once it can. The outage: every backend of the database terminated and new connections refused
/// (`ALLOW_CONNECTIONS false`), as a restarting or failed-over server looks to a client.
@Suite(.serialized) struct PostgresOutageTests {
    static func setConnections(_ database: TestDatabase, allowed: Bool) throws {
        try database.cluster.admin.withSession { session in
            try session.execute("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS \(allowed ? "true" : "false")")
            if !allowed {
                _ = try session.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                                      database.name)
            }
        }
    }

    @Test func serverGone_503WithRetryAfter_thenRecovers() throws {
        let database = try TestDatabase.make()
        let url = try PostgresURL(database.url)
        let h = try AccountsHarness { config in
            config.databaseURL = url
            config.sessionCacheTTLMilliseconds = 0  // every check reads the database
            config.databaseBusyTimeoutMilliseconds = 500
        }
        defer {
            try? Self.setConnections(database, allowed: true)
            h.stop()
        }
        let account = try h.register(email: "dana@example.com")
        #expect(h.me(account.token).status == 200)
        let before = try h.count("users")

        try Self.setConnections(database, allowed: false)
        for response in [h.me(account.token), h.login(account.email, account.password),
                         h.post("/auth/register", AccountsHarness.registrationBody(email: "eve@example.com"))] {
            #expect(response.status == 503, "\(response.status) \(response.body)")
            #expect(response.header("Retry-After") != nil)
            #expect(errorCode(response) == "SERVICE_UNAVAILABLE")
        }
        let ready = h.request("GET", "/readyz")
        #expect(ready.status == 503)
        #expect(h.request("GET", "/healthz").status == 200)  // the process itself is fine

        try Self.setConnections(database, allowed: true)
        #expect(CacheInvalidationTests.waitUntil(milliseconds: 5_000) { h.me(account.token).status == 200 })
        #expect(h.login(account.email, account.password).status == 200)
        #expect(try h.count("users") == before, "a refused registration must leave nothing behind")
        #expect(h.request("GET", "/readyz").status == 200)
    }
}
