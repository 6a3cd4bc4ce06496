import FluxerPersistence
import FluxerDomain
import FluxerAPI
import FluxerCrypto
import FluxerJSON

/// `fluxer-auth hash-benchmark`: one thread hashing with the configured argon2id parameters. The login
/// throughput ceiling of a machine is (hash threads ÷ this time).
public enum PasswordBenchmark {
    /// Times `count` hashes; returns JSON with milliseconds per hash and the implied ceiling.
    public static func run(config: Config, count: Int) -> String {
        CryptoRuntime.initialize()
        let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
        let encoded = (try? hasher.hash("warm-up password")) ?? ""
        let start = Clock.monotonicNanoseconds()
        for _ in 0..<count { _ = hasher.verify("benchmark password", against: encoded) }
        let perHash = Double(Clock.monotonicNanoseconds() - start) / Double(count) / 1_000_000
        let threads = config.hashThreads > 0 ? config.hashThreads : HTTPCores.count
        return JSONValue.object([
            ("ops_limit", .int(Int64(config.argon2OpsLimit))), ("memory_kib", .int(Int64(config.argon2MemoryKiB))),
            ("ms_per_hash", .double((perHash * 100).rounded() / 100)), ("hash_threads", .int(Int64(threads))),
            ("logins_per_second_ceiling", .double((Double(threads) * 1000 / perHash * 10).rounded() / 10)),
        ]).serialized
    }
}
