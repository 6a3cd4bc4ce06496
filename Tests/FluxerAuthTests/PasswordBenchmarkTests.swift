import Foundation
import Testing
@testable import FluxerApp
import FluxerAPI

/// `fluxer-auth hash-benchmark`: one thread alone, then every hash thread at once; the ceiling is what the
/// threads achieve together, never more than threads × the lone rate.
@Suite struct PasswordBenchmarkTests {
    @Test func ceiling_isMeasuredWithEveryHashThreadAtOnce() throws {
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.argon2OpsLimit = 1
        config.argon2MemoryKiB = 1024
        config.hashThreads = 2
        let output = PasswordBenchmark.run(config: config, count: 3)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(json["hash_threads"] as? Int == 2)
        #expect(json["ops_limit"] as? Int == 1)
        #expect(json["memory_kib"] as? Int == 1024)
        let alone = try #require(json["ms_per_hash"] as? Double)
        let together = try #require(json["ms_per_hash_all_threads"] as? Double)
        let ceiling = try #require(json["logins_per_second_ceiling"] as? Double)
        #expect(alone > 0 && together > 0)
        // Two threads in `together` ms each hashed once: the ceiling is 2 per `together` ms.
        #expect(abs(ceiling - 2 * 1000 / together) <= max(1, ceiling * 0.05))
    }
}
