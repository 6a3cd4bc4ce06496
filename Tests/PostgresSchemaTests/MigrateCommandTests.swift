import Foundation
import Postgres
import PostgresTestSupport
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerPersistence

/// `fluxer-auth migrate` on PostgreSQL (issue 13, "`fluxer-auth migrate` works on both"): `database.url` /
/// `FLUXER_AUTH_DATABASE_URL` / `--database-url` select it; a bad URL or an unreachable server is exit 2 with one
/// line naming `database.url` and never the password; every other command refuses the URL (nothing serves from
/// PostgreSQL yet) rather than quietly using the SQLite file.
@Suite struct MigrateCommandTests {
    /// The debug binary beside the tests (`swift build --build-tests` builds it), or `FLUXER_AUTH_BIN`.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["FLUXER_AUTH_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/fluxer-auth").path
    }

    /// Runs the binary with `arguments`; (exit status, stdout and stderr together).
    static func cli(_ arguments: [String]) throws -> (Int32, String) {
        #expect(isExecutable(binary), "no binary at \(binary): run swift build first")
        let log = NSTemporaryDirectory() + "fluxer-migrate-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let status = try runProcess([binary] + arguments, log: log)
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test func migrate_databaseURL_appliesThePostgresMigrations_thenNothing() throws {
        let cluster = try TestCluster.shared()
        let url = cluster.url(try cluster.createDatabase())
        var config = Config()
        config.databaseURL = try PostgresURL(url)
        let first = try MigrateCommand.run(config: config)
        let all = EmbeddedPostgresMigrations.all.map(\.version)
        #expect(first.applied == all && first.version == all.last)
        let second = try MigrateCommand.run(config: config)
        #expect(second.applied.isEmpty && second.version == all.last)
        // The tables are there: the worker-id leases, one row per id.
        let database = try PostgresDatabase(configuration: PostgresConfiguration(url: url, poolSize: 1))
        defer { database.close() }
        #expect(try database.read { try $0.queryOne("SELECT count(*) AS n FROM worker_leases")?.int("n") } == 1024)
    }

    @Test func migrateCLI_databaseURLFlag_printsTheVersions() throws {
        let cluster = try TestCluster.shared()
        let url = cluster.url(try cluster.createDatabase())
        let versions = EmbeddedPostgresMigrations.all.map(\.version)
        let (status, output) = try Self.cli(["migrate", "--database-url", url])
        #expect(status == 0, "\(output)")
        #expect(output.contains(#"{"applied":[\#(versions.map(String.init).joined(separator: ","))],"version":\#(versions.last!)}"#), "\(output)")
        #expect(!output.contains(TestCluster.password))
        let (again, output2) = try Self.cli(["migrate", "--database-url", url])
        #expect(again == 0 && output2.contains(#"{"applied":[],"version":\#(versions.last!)}"#), "\(output2)")
    }

    @Test func migrateCLI_badOrUnreachableDatabase_exit2_oneLine_noPassword() throws {
        let cluster = try TestCluster.shared()
        let port = try freeLoopbackPort()
        let cases = [
            "mysql://root:Tr0ub4dor&3-not-in-logs@127.0.0.1/x",
            "postgresql://postgres:Tr0ub4dor&3-not-in-logs@127.0.0.1:99999/x",
            "postgresql://postgres:Tr0ub4dor&3-not-in-logs@127.0.0.1:\(port)/x?connect_timeout=2&sslmode=disable",
            cluster.url("postgres", password: "wrong-Tr0ub4dor&3-not-in-logs"),
        ]
        for url in cases {
            let (status, output) = try Self.cli(["migrate", "--database-url", url])
            #expect(status == 2, "\(url): \(status) \(output)")
            let lines = output.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("database.url"), "\(output)")
            #expect(!output.contains("Tr0ub4dor"), "the password leaked: \(output)")
        }
    }

    /// Every command that opens the database: an unreachable PostgreSQL is one line naming `database.url`, exit 2,
    /// no password, and no SQLite file written instead.
    @Test func everyCommand_unreachablePostgres_exit2_oneLine_nothingCreated() throws {
        let directory = NSTemporaryDirectory() + "fluxer-refuse-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = directory + "/db.sqlite"
        let url = "postgresql://postgres:secret-pw@127.0.0.1:\(try freeLoopbackPort())/x?connect_timeout=2"
        for arguments in [["serve", "--dev", "--port", "0"], ["user", "create", "--email", "a@example.com", "--username", "a", "--password", "a long password 1"],
                          ["outbox"]] {
            let (status, output) = try Self.cli(arguments + ["--database", sqlite, "--database-url", url])
            #expect(status == 2, "\(arguments): \(output)")
            #expect(output.split(separator: "\n").count == 1 && output.contains("database.url: cannot connect to PostgreSQL"), "\(output)")
            #expect(!output.contains("secret-pw"))
        }
        #expect(!FileManager.default.fileExists(atPath: sqlite), "a command wrote the SQLite file it was not asked for")
        #expect(throws: StartupError.self) {
            var config = Config()
            config.databaseURL = try PostgresURL(url)
            _ = try App(config: config, sink: LogSink())
        }
    }
}
