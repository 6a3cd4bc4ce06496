@testable import HTTPClient
import Testing

@Suite struct HTTPClientPolicyTests {
    @Test func defaults_areTheSafeOnes() {
        let policy = HTTPClientPolicy()
        #expect(policy.connectTimeout == .seconds(5))
        #expect(policy.totalTimeout == .seconds(10))
        #expect(policy.maxResponseBytes == 1 << 20)
        #expect(!policy.allowsPlainHTTP)
        #expect(policy.addressRule == .publicOnly)
        #expect(policy.allowedHosts.isEmpty)
        #expect(policy.caFile == nil)
    }

    /// Entries match host(of:) output: lowercase, IPv6 without brackets, exact names only.
    @Test func allowedHosts_normalized() {
        let policy = HTTPClientPolicy(allowedHosts: ["Mock.Local", "[::1]", "fd00::5"])
        #expect(policy.allows(host: "mock.local"))
        #expect(policy.allows(host: "::1"))
        #expect(policy.allows(host: "fd00::5"))
        #expect(!policy.allows(host: "sub.mock.local"))
        #expect(!policy.allows(host: "127.0.0.1"))
    }

    /// libcurl reads a 0 ms timeout as "none": nothing positive may round down to it, nor may 0 or less.
    @Test func timeouts_neverBecomeZero() {
        #expect(Duration.nanoseconds(1).clampedMilliseconds == 1)
        #expect(Duration.zero.clampedMilliseconds == 1)
        #expect(Duration.milliseconds(-5).clampedMilliseconds == 1)
        #expect(Duration.milliseconds(1500).clampedMilliseconds == 1500)
        #expect(Duration.microseconds(1500).clampedMilliseconds == 2)
        #expect(Duration.seconds(Int64.max).clampedMilliseconds == Int.max)
    }
}
