import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

/// LG-04: the persistent login limit (per email) is in SQLite, so a restart does not hand an attacker a fresh
/// budget. Two apps run one after the other on the same database directory with one hand-moved clock.
@Suite(.serialized) struct RateLimitPersistenceTests {
    @Test func loginPerEmailLimit_survivesRestart() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let clock = TestClock()
        let configure: (inout Config) -> Void = { config in
            config.loginEmailLimit = RateLimit(3, per: 15 * 60_000)
            config.loginIPLimit = RateLimit(1_000, per: 60_000)
        }
        let email = "target@example.com"

        let first = try RestartableApp(dir: dir, clock: clock, configure: configure)
        for n in 1...3 {
            #expect(first.login(email, "wrong password \(n)").status == 400)
        }
        let limited = first.login(email, "wrong password 4")
        #expect(limited.status == 429)
        #expect(errorCode(limited) == "RATE_LIMITED")
        let before = try #require(Int(limited.header("Retry-After") ?? ""))
        first.stop()

        clock.advance(milliseconds: 60_000)
        let second = try RestartableApp(dir: dir, clock: clock, configure: configure)
        defer { second.stop() }
        let stillLimited = second.login(email, "wrong password 5")
        #expect(stillLimited.status == 429)
        #expect(errorCode(stillLimited) == "RATE_LIMITED")
        let after = try #require(Int(stillLimited.header("Retry-After") ?? ""))
        #expect(after >= 1 && after == before - 60)
        // Another email is not affected; the limited one passes once its interval has gone by.
        #expect(second.login("other@example.com", "wrong password").status == 400)
        clock.advance(milliseconds: Int64(after) * 1000)
        #expect(second.login(email, "wrong password 6").status == 400)
        #expect(second.login(email, "wrong password 7").status == 429)
    }

    /// LG-04 for the decaying account lockout (issue 12): its count lives in SQLite, so a restart neither
    /// unlocks the account nor forgets the failures; time still decays them across the restart.
    @Test func lockoutCount_survivesRestart_andStillDecays() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let clock = TestClock()
        let configure: (inout Config) -> Void = { config in
            Abuse.relaxedAttemptLimits(&config)
            config.lockoutThreshold = 3
            config.lockoutWindowMilliseconds = 90_000
        }
        let email = "locked@example.com"
        let first = try RestartableApp(dir: dir, clock: clock, configure: configure)
        let registered = TestClient.request(port: first.port, "POST", "/auth/register", headers: [("Content-Type", "application/json")],
                                            body: jsonText(AccountsHarness.registrationBody(email: email)))
        #expect(registered.status == 200, "\(registered.body)")
        for n in 1...3 { #expect(first.login(email, "wrong password \(n)").status == 400) }
        #expect(first.login(email, AccountsHarness.defaultPassword).status == 400, "locked")
        first.stop()

        let second = try RestartableApp(dir: dir, clock: clock, configure: configure)
        defer { second.stop() }
        #expect(second.login(email, AccountsHarness.defaultPassword).status == 400, "still locked after the restart")
        clock.advance(milliseconds: 30_000)
        #expect(second.login(email, AccountsHarness.defaultPassword).status == 200, "one interval later")
    }
}
