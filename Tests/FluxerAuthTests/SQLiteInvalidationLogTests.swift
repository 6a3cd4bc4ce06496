import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerPersistence

/// Two servers on one SQLite file: a revocation on one reaches the other's principal cache through the
/// `cache_invalidations` log within a poll or two, not after the cache TTL; old entries are swept.
@Suite(TestBackend.sqliteOnly) struct SQLiteInvalidationLogTests {
    @Test func logoutOnOneServer_isRefusedByTheOtherAtOnce() throws {
        let a = try AccountsHarness { $0.sessionCacheTTLMilliseconds = 600_000 }
        let path = a.running.app.context.config.databasePath
        let b = try AccountsHarness { config in
            config.databasePath = path
            config.sessionCacheTTLMilliseconds = 600_000
        }
        defer { b.stop(); a.stop() }
        let account = try a.register(email: "alice@example.com")
        #expect(b.me(account.token).status == 200 && b.me(account.token).status == 200)  // cached on B
        #expect(b.accounts.cache.count == 1)

        #expect(a.request("POST", "/auth/logout", auth: account.token).status == 204)
        #expect(b.running.eventually(milliseconds: 1_000) { b.me(account.token).status == 401 }, "B still accepts a token logged out on A")
        #expect(try a.count("cache_invalidations") == 1)
    }

    @Test func theSweep_dropsEntriesOlderThanTheRetention() throws {
        let a = try AccountsHarness()
        defer { a.stop() }
        let now = Clock.wallMilliseconds()
        try a.database.write { db in
            try CacheInvalidationStore.append(payload: "u1", now: now - CacheInvalidationStore.retentionMilliseconds - 1, in: db)
            try CacheInvalidationStore.append(payload: "u2", now: now, in: db)
        }
        let rule = try #require(MaintenanceStore.rules.first { $0.table == "cache_invalidations" })
        #expect(try a.database.write { try MaintenanceStore.deleteExpired(rule, now: now, limit: 100, in: $0) } == 1)
        #expect(try a.database.read { try CacheInvalidationStore.after(id: 0, limit: 10, in: $0) }.map(\.payload) == ["u2"])
    }
}
