import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite
import FluxerDomain

/// "Refresh families live forever (each rotation adds 30 days)": a grant now ends `oauth.grant_lifetime` after the
/// code redemption that created it (checklist RT-06; default 180 days). No token of the family outlives that end
/// and a refresh after it is `invalid_grant`.
@Suite struct OAuthGrantLifetimeTests {
    static let day: Int64 = 86_400_000

    static func expiresAt(_ h: OAuthHarness, _ token: String) throws -> Int64? {
        try h.database.read { db in
            try db.queryOne("SELECT expires_at FROM oauth2_tokens WHERE token_hash = ?", OAuthSecret.hash(token))?.int("expires_at")
        }
    }

    /// Refreshed every 29 days, the grant still ends at its cap: the last tokens expire exactly there (with a
    /// shortened `expires_in`), and the refresh at the cap is refused.
    @Test(arguments: [180, 90]) func refreshFamiliesLiveForever_cappedByTheFamilysCreation_RT06(days: Int64) throws {
        let h = try OAuthHarness { config in
            if days != 180 { config.oauthGrantLifetimeMilliseconds = days * Self.day }
        }
        defer { h.stop() }
        #expect(h.config.oauthGrantLifetimeMilliseconds == days * Self.day)
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        var (access, refresh) = try h.tokens(alice, client: client)
        let cap = h.clock.now + days * Self.day
        #expect(try Self.expiresAt(h, refresh) == h.clock.now + OAuthLifetime.refresh)
        var elapsed: Int64 = 0
        while elapsed + 29 < days {
            h.clock.advance(milliseconds: 29 * Self.day)
            elapsed += 29
            let r = h.refresh(refresh, client: client)
            #expect(r.status == 200, "day \(elapsed): \(r.body)")
            let body = jsonObject(r.body)
            access = try #require(body["access_token"] as? String)
            refresh = try #require(body["refresh_token"] as? String)
            let refreshEnds = try #require(try Self.expiresAt(h, refresh))
            let accessEnds = try #require(try Self.expiresAt(h, access))
            #expect(refreshEnds == min(h.clock.now + OAuthLifetime.refresh, cap), "day \(elapsed)")
            #expect(accessEnds == min(h.clock.now + OAuthLifetime.access, cap), "day \(elapsed)")
            #expect(body["expires_in"] as? Int == Int((accessEnds - h.clock.now) / 1000), "day \(elapsed)")
        }
        #expect(try Self.expiresAt(h, refresh) == cap, "the last refresh token ends with the grant")
        h.clock.advance(milliseconds: cap - 1 - h.clock.now)
        #expect(h.meStatus(bearer: access) == 200)
        h.clock.advance(milliseconds: 1)
        #expect(h.meStatus(bearer: access) == 401)
        let refused = h.refresh(refresh, client: client)
        #expect(refused.status == 400 && oauthError(refused) == "invalid_grant", "\(refused.body)")
    }

    /// A refresh token issued before the cap existed (expiring after it) is refused once the family is older than
    /// the grant lifetime, without rotating it or revoking anything; one younger than the cap rotates, capped.
    @Test func refreshFamiliesLiveForever_oldFamilyIsRefusedUnrotated_RT06() throws {
        let h = try OAuthHarness()
        defer { h.stop() }
        let alice = h.user("alice")
        let (_, client) = h.confidentialApp(owner: alice)
        let (_, refresh) = try h.tokens(alice, client: client)
        let now = h.clock.now
        func ageFamily(by age: Int64) throws {
            _ = try h.database.write { db in try db.run("UPDATE oauth2_families SET created_at = ?", now - age) }
        }
        try ageFamily(by: 180 * Self.day)
        let refused = h.refresh(refresh, client: client)
        #expect(refused.status == 400 && oauthError(refused) == "invalid_grant", "\(refused.body)")
        #expect(jsonObject(refused.body)["error_description"] as? String == "The grant has reached its maximum lifetime; authorize again.")
        #expect(try h.count("oauth2_tokens", where: "used_at IS NOT NULL") == 0)
        #expect(try h.count("oauth2_families", where: "revoked_at IS NOT NULL") == 0)
        #expect(try h.count("oauth2_tokens") == 2)

        try ageFamily(by: 180 * Self.day - 12 * 3_600_000)
        let rotated = h.refresh(refresh, client: client)
        #expect(rotated.status == 200, "\(rotated.body)")
        let body = jsonObject(rotated.body)
        #expect(body["expires_in"] as? Int == 12 * 3600)
        let next = try #require(body["refresh_token"] as? String)
        #expect(try Self.expiresAt(h, next) == now + 12 * 3_600_000)
    }
}
