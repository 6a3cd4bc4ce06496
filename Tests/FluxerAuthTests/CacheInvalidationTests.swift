import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import Postgres
import PostgresTestSupport

/// Issue 13: "a revoke on one node stops the token on every node within 1 s" — two apps on one PostgreSQL
/// database, each with a principal cache that would otherwise answer for 10 minutes.
@Suite(.serialized) struct CacheInvalidationTests {
    /// Two nodes on one fresh PostgreSQL database (whatever backend the rest of the suite runs on).
    static func twoNodes() throws -> (AccountsHarness, AccountsHarness) {
        let url = try PostgresURL(try TestDatabase.make().url)
        let a = try AccountsHarness { config in
            config.databaseURL = url
            config.sessionCacheTTLMilliseconds = 600_000
        }
        let path = a.running.app.context.config.databasePath
        let b = try AccountsHarness { config in
            config.databasePath = path
            config.databaseURL = url
            config.sessionCacheTTLMilliseconds = 600_000
        }
        return (a, b)
    }

    static func waitUntil(milliseconds: Int = 1_000, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    static func waitForListeners(_ nodes: AccountsHarness...) -> Bool {
        waitUntil(milliseconds: 5_000) { nodes.allSatisfy { $0.accounts.cache.isLive } }
    }

    @Test func logoutOnOneNode_refusedByTheOtherWithinOneSecond() throws {
        let (a, b) = try Self.twoNodes()
        defer { b.stop(); a.stop() }
        #expect(Self.waitForListeners(a, b))
        let account = try a.register(email: "alice@example.com")
        #expect(b.me(account.token).status == 200)
        #expect(b.me(account.token).status == 200)  // now answered from B's cache
        #expect(b.accounts.cache.count == 1)

        #expect(a.request("POST", "/auth/logout", auth: account.token).status == 204)
        #expect(Self.waitUntil { b.me(account.token).status == 401 }, "node B still accepts a token logged out on node A")
        #expect(a.me(account.token).status == 401)
    }

    @Test func passwordResetOnOneNode_endsEverySessionOnTheOther() throws {
        let (a, b) = try Self.twoNodes()
        defer { b.stop(); a.stop() }
        #expect(Self.waitForListeners(a, b))
        let account = try a.register(email: "bob@example.com")
        let second = try b.loginToken(account)
        #expect(b.me(account.token).status == 200 && b.me(second).status == 200)
        #expect(a.me(second).status == 200)

        // A password reset on node A ends every session of the user: a user-wide invalidation.
        #expect(a.post("/auth/forgot", ["email": account.email]).status == 204)
        let token = try a.resetToken(for: account.email)
        #expect(a.post("/auth/reset", ["token": token, "password": "a brand new password"]).status == 200)
        #expect(Self.waitUntil { b.me(account.token).status == 401 && b.me(second).status == 401 },
                "node B still accepts sessions ended by a password reset on node A")
    }

    /// A listener that loses its connection suspends its node's cache (no revocation can be missed), then
    /// resumes with an empty cache once it listens again.
    @Test func listenerDrop_suspendsTheCache_untilItListensAgain() throws {
        let (a, b) = try Self.twoNodes()
        defer { b.stop(); a.stop() }
        #expect(Self.waitForListeners(a, b))
        let account = try a.register(email: "carol@example.com")
        #expect(b.me(account.token).status == 200)
        #expect(b.accounts.cache.count == 1)

        let listener = try #require(b.accounts.invalidationListener)
        let pid = try #require(listener.backendProcessID)
        try TestCluster.shared().terminate(backend: pid)
        #expect(Self.waitUntil(milliseconds: 5_000) { b.accounts.cache.isLive && listener.backendProcessID != pid && listener.backendProcessID != nil })
        #expect(b.accounts.cache.count == 0, "a reconnected listener must start from an empty cache")
        #expect(b.me(account.token).status == 200)
        #expect(a.request("POST", "/auth/logout", auth: account.token).status == 204)
        #expect(Self.waitUntil { b.me(account.token).status == 401 })
    }

    @Test func payloads_roundTrip_andSplitUnderTheLimit() {
        var invalidations = Invalidations()
        invalidations.credentials = (0..<300).map { i in [UInt8](repeating: UInt8(i & 0xff), count: 32) }
        invalidations.users = [1, 2, UInt64.max]
        let payloads = CacheInvalidationBus.payloads(invalidations)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count <= CacheInvalidationBus.maxPayloadBytes })
        let parsed = payloads.map(CacheInvalidationBus.parse)
        #expect(parsed.flatMap(\.credentials) == invalidations.credentials)
        #expect(parsed.flatMap(\.users) == invalidations.users)
        // Junk from a newer or broken sender is skipped, not fatal.
        let junk = CacheInvalidationBus.parse("x1,s12,u-3,uabc,s" + String(repeating: "g", count: 64) + ",u7")
        #expect(junk.credentials.isEmpty && junk.users == [7])
    }
}
