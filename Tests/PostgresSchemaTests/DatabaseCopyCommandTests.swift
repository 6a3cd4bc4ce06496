import Foundation
import Postgres
import PostgresTestSupport
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import FluxerPersistence

/// `fluxer-auth db copy` through the built binary: JSON on stdout when it copies, one line on stderr and exit 2
/// when it refuses (exit 1 when the data cannot be converted), never the password.
@Suite struct DatabaseCopyCommandTests {
    static func cli(_ arguments: [String]) throws -> (Int32, String) {
        try MigrateCommandTests.cli(["db", "copy"] + arguments)
    }

    static func oneLine(_ output: String) -> Bool {
        output.split(separator: "\n").count == 1
    }

    @Test func copyCLI_printsTheSummary_thenRefusesTheFilledTarget() throws {
        let source = try CopySourceFile(CopyScenario.fill)
        defer { source.remove() }
        let target = try TestDatabase.make()
        let (status, output) = try Self.cli(["--from", "sqlite:" + source.path, "--to", target.url])
        #expect(status == 0, "\(output)")
        #expect(Self.oneLine(output) && !output.contains(TestCluster.password), "\(output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let tables = try #require(json["tables"] as? [String: Int])
        #expect(tables["users"] == 4 && tables["audit_events"] == 4 && tables["worker_leases"] == 1024)
        #expect(tables["schema_migrations"] == nil && tables["job_leases"] == nil)
        #expect(json["rows"] as? Int == tables.values.reduce(0, +))
        #expect(json["target"] as? String == (try PostgresURL(target.url)).description)

        let (again, refusal) = try Self.cli(["--from", source.path, "--to", target.url])
        #expect(again == 2, "\(refusal)")
        #expect(Self.oneLine(refusal) && refusal.contains("already holds rows") && !refusal.contains(TestCluster.password), "\(refusal)")
    }

    @Test func copyCLI_refusals_exit2_oneLine_noPassword_noFileCreated() throws {
        let directory = try makeTemporaryDirectory("fluxer-copy-cli")
        defer { removeTree(directory) }
        let older = try CopySourceFile(migrations: Array(EmbeddedMigrations.all.dropLast()))
        defer { older.remove() }
        let cluster = try TestCluster.shared()
        let target = try TestDatabase.make()
        let port = try freeLoopbackPort()
        let missing = directory + "/missing.sqlite"
        let cases: [(arguments: [String], says: String)] = [
            (["--from", "sqlite:" + missing, "--to", target.url], "no such file"),
            (["--from", older.path, "--to", target.url], "fluxer-auth migrate --database"),
            (["--from", older.path, "--to", "mysql://root:Tr0ub4dor&3-not-in-logs@127.0.0.1/x"], "--to:"),
            (["--from", "postgresql://postgres:Tr0ub4dor&3-not-in-logs@127.0.0.1/x", "--to", target.url], "--from:"),
        ]
        for (arguments, says) in cases {
            let (status, output) = try Self.cli(arguments)
            #expect(status == 2, "\(arguments): \(output)")
            #expect(Self.oneLine(output) && output.contains(says), "\(output)")
            #expect(!output.contains("Tr0ub4dor"), "the password leaked: \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "db copy created the missing source")

        let current = try CopySourceFile()
        defer { current.remove() }
        for url in [
            "postgresql://postgres:Tr0ub4dor&3-not-in-logs@127.0.0.1:\(port)/x?connect_timeout=2&sslmode=disable",
            cluster.url("postgres", password: "wrong-Tr0ub4dor&3-not-in-logs"),
        ] {
            let (status, output) = try Self.cli(["--from", current.path, "--to", url])
            #expect(status == 2 && Self.oneLine(output) && output.contains("cannot connect"), "\(output)")
            #expect(!output.contains("Tr0ub4dor"), "the password leaked: \(output)")
        }
    }

    @Test func copyCLI_unconvertibleValue_exit1_namesTheColumn() throws {
        let source = try CopySourceFile { connection in
            try CopyScenario.fill(connection)
            try connection.execute("UPDATE users SET verified = 7")
        }
        defer { source.remove() }
        let target = try TestDatabase.make()
        let (status, output) = try Self.cli(["--from", source.path, "--to", target.url])
        #expect(status == 1 && Self.oneLine(output), "\(output)")
        #expect(output.contains("users.verified:") && output.contains("nothing was copied"), "\(output)")
    }
}
