import FluxerPersistence
import FluxerDomain
import FluxerAPI
import FluxerCrypto
import FluxerJSON
import HTTPServer
import Synchronization

/// `fluxer-auth hash-benchmark`: argon2id with the configured parameters, first on one thread, then on every
/// hash thread at once, as the hash pool runs during a login storm. The login throughput ceiling of the machine
/// is what all the threads achieve together: argon2id is memory-hard, so threads that share caches and memory
/// bandwidth each hash more slowly than one thread alone, and (threads ÷ one thread's time) would overstate it.
public enum PasswordBenchmark {
    /// Times `count` hashes on one thread, then `count` hashes on each hash thread concurrently; returns JSON.
    public static func run(config: Config, count: Int) -> String {
        CryptoRuntime.initialize()
        let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
        let encoded = (try? hasher.hash("warm-up password")) ?? ""
        let start = Clock.monotonicNanoseconds()
        for _ in 0..<count { _ = hasher.verify("benchmark password", against: encoded) }
        let alone = Double(Clock.monotonicNanoseconds() - start) / Double(count) / 1_000_000
        let threads = config.hashThreads > 0 ? config.hashThreads : HTTPCores.count
        let together = Clock.monotonicNanoseconds()
        let workers = (0..<threads).map { i in
            OSThread(name: "fx-hash-bench-\(i)") {
                for _ in 0..<count { _ = hasher.verify("benchmark password", against: encoded) }
            }
        }
        workers.forEach { $0.join() }
        let wall = Double(Clock.monotonicNanoseconds() - together) / 1_000_000
        let ceiling = Double(threads * count) * 1000 / wall
        return JSONValue.object([
            ("ops_limit", .int(Int64(config.argon2OpsLimit))), ("memory_kib", .int(Int64(config.argon2MemoryKiB))),
            ("ms_per_hash", .double((alone * 100).rounded() / 100)),
            ("ms_per_hash_all_threads", .double((wall / Double(count) * 100).rounded() / 100)),
            ("hash_threads", .int(Int64(threads))),
            ("logins_per_second_ceiling", .double((ceiling * 10).rounded() / 10)),
        ]).serialized
    }
}
