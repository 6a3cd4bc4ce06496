import Foundation
import Glibc
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import Postgres
import PostgresTestSupport
import FluxerPersistence

/// A unique temporary directory, removed by `remove()`.
struct TempDir {
    let path: String

    init() {
        var template = Array("/tmp/fluxer-auth-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) {
        let f = fopen(file(name), "wb")!
        fputs(text, f)
        fclose(f)
    }

    func read(_ name: String) -> String {
        guard let f = fopen(file(name), "rb") else { return "" }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            bytes += buf[0..<n]
            if n < buf.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func remove() {
        _ = system("rm -rf '\(path)'")
        TestBackend.drop(directory: path)
    }
}

/// The backend the suite runs on: SQLite by default; `FLUXER_AUTH_TEST_BACKEND=postgres` runs every test that
/// reaches the database only through the app on a fresh PostgreSQL database of the shared throwaway cluster
/// (`make test` runs the suite both ways: the same tests, both backends).
enum TestBackend {
    static let isPostgres = ProcessInfo.processInfo.environment["FLUXER_AUTH_TEST_BACKEND"] == "postgres"
    /// For tests that open the SQLite file themselves or exercise SQLite's own failure modes.
    static let sqliteOnly = Testing.ConditionTrait.enabled(if: !isPostgres, "reads the SQLite file directly")

    /// PostgreSQL databases by the SQLite path they stand in for: apps started on one path (restart tests, two
    /// apps on one file) share its database, as they would share the file.
    private static let databases = Mutex<[String: PostgresURL]>([:])

    /// The PostgreSQL database standing in for an SQLite path, created on first use.
    static func postgresURL(for directory: String) -> PostgresURL {
        if let known = databases.withLock({ $0[directory] }) { return known }
        do {
            let cluster = try TestCluster.shared()
            let url = try PostgresURL(cluster.url(try cluster.createDatabase()))
            return databases.withLock { known in
                if let existing = known[directory] { return existing }
                known[directory] = url
                return url
            }
        } catch {
            fatalError("PostgreSQL test database: \(error)")
        }
    }

    /// The schema versions a fresh database of this backend is migrated through.
    static var migrationVersions: [Int] {
        (isPostgres ? EmbeddedPostgresMigrations.all.map(\.version) : EmbeddedMigrations.all.map(\.version))
    }

    /// After a test's own configuration: the database for the SQLite path it chose (another app's, maybe).
    /// A URL the test chose itself (not one of ours) is kept.
    static func adopt(_ config: inout Config) {
        guard isPostgres, let url = config.databaseURL, databases.withLock({ $0.values.contains(url) }) else { return }
        config.databaseURL = postgresURL(for: config.databasePath)
    }

    /// Drops the databases under a directory (connections included) when the directory is removed.
    static func drop(directory: String) {
        guard isPostgres, let cluster = try? TestCluster.shared() else { return }
        let urls = databases.withLock { known -> [PostgresURL] in
            let keys = known.keys.filter { $0.hasPrefix(directory + "/") }
            return keys.compactMap { known.removeValue(forKey: $0) }
        }
        for name in urls.compactMap(\.database) {
            _ = try? cluster.admin.withSession { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        }
    }
}

/// A configuration for tests: ephemeral port, a database in `dir` (or a fresh PostgreSQL database, see
/// `TestBackend`), a fixed secret, quiet logs.
func testConfig(_ dir: TempDir) -> Config {
    var config = Config()
    config.port = 0
    config.databasePath = dir.file("db/fluxer-auth.sqlite")
    if TestBackend.isPostgres {
        config.databaseURL = TestBackend.postgresURL(for: config.databasePath)
        config.databasePoolSize = 4
    }
    config.secretKey = [UInt8](repeating: 7, count: 32)
    config.eventLoops = 1
    config.workers = 4
    config.databaseReaders = 2
    config.shutdownGraceMilliseconds = 2_000
    // Dev mode keeps delivered outbox bodies, which tests read for links and codes.
    config.dev = true
    // Tests fire many requests from one address; the rate-limit tests turn the limits back on.
    config.rateLimitsEnabled = false
    config.argon2OpsLimit = 1
    config.argon2MemoryKiB = 8
    config.hashThreads = 2
    return config
}

/// A started app plus its temp dir and log file; `stop()` shuts down and cleans up.
final class RunningApp {
    let dir: TempDir
    let app: App
    let sink: LogSink
    let logFD: Int32

    init(configure: (inout Config) -> Void = { _ in }, clock: (@Sendable () -> Int64)? = nil) throws {
        dir = TempDir()
        var config = testConfig(dir)
        configure(&config)
        TestBackend.adopt(&config)
        logFD = open(dir.file("server.log"), O_WRONLY | O_CREAT | O_APPEND, 0o600)
        sink = LogSink(fd: logFD)
        app = try App(config: config, sink: sink, clock: clock ?? Clock.wallMilliseconds)
        try app.start()
    }

    var port: Int { app.port }

    func log() -> String {
        sink.flush()
        return dir.read("server.log")
    }

    func stop() {
        app.shutdown()
        sink.close()
        close(logFD)
        dir.remove()
    }
}

/// A parsed HTTP response from `TestClient`.
struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A minimal HTTP/1.1 client over a raw loopback socket (one request per connection, `Connection: close`).
enum TestClient {
    static func send(port: Int, raw: String, timeoutSeconds: Int = 10) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(rc == 0, "connect failed")
        let bytes = Array(raw.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func request(port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil,
                        timeoutSeconds: Int = 10) -> TestResponse {
        var raw = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { raw += "\(name): \(value)\r\n" }
        if let body { raw += "Content-Length: \(body.utf8.count)\r\n" }
        raw += "\r\n" + (body ?? "")
        return parse(send(port: port, raw: raw, timeoutSeconds: timeoutSeconds))
    }

    static func parse(_ text: String) -> TestResponse {
        guard let split = text.range(of: "\r\n\r\n") else { return TestResponse(status: 0, headers: [], body: text) }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "0") ?? 0
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return TestResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}
