import Foundation
import Glibc
import PostgresTestSupport
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain
import FluxerPersistence
@testable import SQLite

/// `fluxer-auth db backup FILE` and `db check`.
@Suite struct AdminDatabaseCLITests {
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : nil
    }

    @Test(TestBackend.sqliteOnly) func backup_copiesTheLiveDatabase_verified_andNeverReplacesWithoutForce() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        _ = running.registerUser("alice")
        _ = running.registerUser("bob")
        let file = running.dir.file("backup.sqlite")

        let made = cli.run("db", "backup", file)
        #expect(made.exitCode == 0, "\(made.stderr)")
        #expect(made.object["file"] as? String == file && made.object["integrity"] as? String == "ok")
        #expect(made.object["schema_version"] as? Int == TestBackend.migrationVersions.last)
        #expect((made.object["bytes"] as? Int ?? 0) > 0)
        #expect(Self.mode(file) == 0o600)
        // One self-contained file in rollback-journal mode, holding what the server wrote.
        let copy = try ReadOnlyDatabase(path: file)
        let (users, journal) = try copy.read { db in
            (try db.query("SELECT count(*) AS n FROM users")[0].int("n"), try db.query("PRAGMA journal_mode")[0].string("journal_mode"))
        }
        copy.close()
        #expect(users == 2 && journal == "delete")
        #expect(!FileManager.default.fileExists(atPath: file + "-wal"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: running.dir.path).filter { $0.contains(".partial-") }.isEmpty)

        // An existing file: refused (exit 2) and left alone, unless --force.
        running.dir.write("taken.sqlite", "not a database")
        let refused = cli.run("db", "backup", running.dir.file("taken.sqlite"))
        #expect(refused.exitCode == 2)
        #expect(refused.stderr == "db backup: \(running.dir.file("taken.sqlite")) exists; nothing was changed, give --force to replace it")
        #expect(running.dir.read("taken.sqlite") == "not a database")
        _ = running.registerUser("carol")
        let forced = cli.run("db", "backup", running.dir.file("taken.sqlite"), "--force")
        #expect(forced.exitCode == 0)
        let replaced = try ReadOnlyDatabase(path: running.dir.file("taken.sqlite"))
        #expect(try replaced.read { try $0.query("SELECT count(*) AS n FROM users")[0].int("n") } == 3)
        replaced.close()

        // Never onto the database itself.
        let itself = cli.run("db", "backup", running.app.context.config.databasePath, "--force")
        #expect(itself.exitCode == 1 && itself.stderr == "file: \(running.app.context.config.databasePath) is the database itself")
        #expect(running.meStatus(running.registerUser("dave").auth) == 200)
    }

    @Test(.enabled(if: TestBackend.isPostgres, "the PostgreSQL path")) func backup_onPostgres_printsThePgDumpLine_withoutThePassword() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        let refused = cli.run("db", "backup", "/tmp/out.dump")
        let url = try #require(running.app.context.config.databaseURL)
        #expect(refused.exitCode == 2)
        #expect(refused.stderr == "db backup: PostgreSQL is backed up with pg_dump, not by fluxer-auth: run pg_dump --format=custom "
            + "--file='/tmp/out.dump' '\(url)' (the password from PGPASSWORD or ~/.pgpass)")
        #expect(!refused.stderr.contains(TestCluster.password))
    }

    @Test func check_reportsASoundDatabase() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        _ = running.registerUser("alice")
        let report = cli.run("db", "check")
        #expect(report.exitCode == 0, "\(report.stderr)")
        #expect(report.object["ok"] as? Bool == true && report.object["connected"] as? Bool == true)
        #expect(report.object["backend"] as? String == (TestBackend.isPostgres ? "postgresql" : "sqlite"))
        let schema = report.object["schema"] as? [String: Any]
        #expect(schema?["current"] as? Bool == true && schema?["version"] as? Int == TestBackend.migrationVersions.last)
        #expect(report.object["integrity"] as? String == "ok")
        #expect((report.object["foreign_key_violations"] as? [Any])?.isEmpty == true)
        #expect(!report.stdout.contains(TestCluster.password))
    }

    @Test(TestBackend.sqliteOnly) func check_findsBrokenForeignKeys_aNewerSchema_andAMissingFile() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let cli = try AdminCLI(running: running)
        // Written around the server, as a damaged restore or a hand edit would: foreign keys off on this connection.
        let path = running.app.context.config.databasePath
        let raw = try Connection(path: path, flags: 0x2, busyTimeoutMilliseconds: 5000)
        try raw.execute("""
            PRAGMA foreign_keys=OFF;
            INSERT INTO sessions (id_hash, user_id, created_at, last_used_at) VALUES (x'00', 4242, 0, 0);
            INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0);
            """)
        raw.close()

        let report = cli.run("db", "check")
        #expect(report.exitCode == 1)
        #expect(report.object["ok"] as? Bool == false)
        let violations = report.object["foreign_key_violations"] as? [[String: Any]]
        #expect(violations?.count == 1 && violations?.first?["table"] as? String == "sessions" && violations?.first?["parent"] as? String == "users")
        #expect((report.object["schema"] as? [String: Any])?["current"] as? Bool == false)
        #expect((report.object["problems"] as? [String])?.count == 2)
        #expect(report.stderr.hasPrefix("db check: 2 problem(s): foreign key: sessions row"))

        var missing = running.app.context.config
        missing.databasePath = running.dir.file("nowhere/none.sqlite")
        let gone = #expect(throws: UserCommands.Failure.self) { try DatabaseAdmin.check(config: missing) }
        #expect(gone?.exitCode == 1)
        #expect(!FileManager.default.fileExists(atPath: missing.databasePath))
    }
}
