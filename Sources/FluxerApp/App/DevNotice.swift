import FluxerAPI
import FluxerDomain
import FluxerPersistence
#if canImport(Glibc)
import Glibc
#endif

/// The line a CLI command prints on standard error in dev mode: which database it works on, why dev mode (given,
/// or inferred from the dev key beside the database), and which running server uses that database.
enum DevNotice {
    static func announce(_ config: Config, inferred: Bool) {
        let database = config.databaseURL == nil ? config.databasePath : "PostgreSQL"
        var line = "fluxer-auth: dev mode\(inferred ? " (found the key `serve --dev` made beside the database)" : ""): database \(database)"
        if let server = runningServer(config) { line += ", also used by the running server (pid \(server))" }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// The pid of a live `fluxer-auth serve` on this host holding a worker-id lease in the database, if any.
    private static func runningServer(_ config: Config) -> Int32? {
        if config.databaseURL == nil && access(config.databasePath, F_OK) != 0 { return nil }
        guard let database = try? config.openDatabase(purpose: "fluxer-auth cli") else { return nil }
        defer { database.close() }
        guard let holders = try? SQLWorkerLeaseStore(database: database).liveHolders(now: Clock.wallMilliseconds()) else { return nil }
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return holders.first { $0.hostname == host && $0.pid != getpid() && isServer(pid: $0.pid) }?.pid
    }

    /// Whether `pid` is alive and its command line is `… serve …`.
    private static func isServer(pid: Int32) -> Bool {
        guard pid > 0, let file = fopen("/proc/\(pid)/cmdline", "rb") else { return false }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buffer, 1, buffer.count, file)
        return buffer[0..<n].split(separator: 0).contains { $0.elementsEqual("serve".utf8) }
    }
}
