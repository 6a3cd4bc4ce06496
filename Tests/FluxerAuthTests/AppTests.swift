import FluxerPersistence
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import SQLite

@Suite struct AppTests {
    @Test func healthReadyAndMetrics_overARealSocket() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let health = TestClient.request(port: running.port, "GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)
        #expect(health.header("Content-Type") == "application/json")
        #expect(health.header("Date") != nil)
        #expect(health.header("Content-Length") == "15")

        let ready = TestClient.request(port: running.port, "GET", "/api/v1/readyz")
        #expect(ready.status == 200)
        #expect(ready.body == #"{"status":"ready","schema_version":\#(TestBackend.migrationVersions.count)}"#)

        let metrics = TestClient.request(port: running.port, "GET", "/v1/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains(#"fluxer_http_requests_total{method="GET",route="/healthz",status="200"} 1"#))
        #expect(metrics.body.contains(#"fluxer_http_requests_total{method="GET",route="/readyz",status="200"} 1"#))
        // At least this connection; an earlier one may still be closing (the server lingers after Connection: close).
        let gauge = metrics.body.split(separator: "\n").first { $0.hasPrefix("fluxer_http_open_connections ") }
        #expect(gauge.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true)
    }

    @Test func unknownRoute_isFluxerNotFound() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let response = TestClient.request(port: running.port, "GET", "/api/v1/nope")
        #expect(response.status == 404)
        #expect(response.body == #"{"code":"NOT_FOUND","message":"Not found."}"#)
        let wrongMethod = TestClient.request(port: running.port, "POST", "/healthz", body: "")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD")
    }

    @Test func accessLog_oneLinePerRequest_withoutQueryOrHeaders() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let secret = "flx_SECRETsecretSECRETsecret"
        _ = TestClient.request(port: running.port, "GET", "/healthz?token=\(secret)&code=abc123",
                               headers: [("Authorization", "Bearer \(secret)")])
        _ = TestClient.request(port: running.port, "GET", "/no-such-route?client_secret=\(secret)")
        let log = running.log()
        let lines = log.split(separator: "\n").filter { $0.contains("msg=request") }
        #expect(lines.count == 2)
        #expect(lines.first?.contains("route=/healthz") == true)
        #expect(lines.first?.contains("status=200") == true)
        #expect(lines.last?.contains("route=- status=404") == true)
        #expect(!log.contains(secret))
        #expect(!log.contains("abc123"))
        #expect(!log.contains("token="))
    }

    @Test func production_refusesToStartWithoutSecretKey() {
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.secretKey = nil
        config.dev = false
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        do {
            _ = try App(config: config, sink: sink)
            Issue.record("started without a secret")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.description.contains("security.secret_key"))
        }
    }

    @Test(TestBackend.sqliteOnly) func devMode_generatesAndReusesSecretFile0600() throws {
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.secretKey = nil
        config.dev = true
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        let first = try App(config: config, sink: sink)
        let key = first.context.secretKey
        first.shutdown()
        var st = stat()
        #expect(stat(dir.file("db/secret.key"), &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        let second = try App(config: config, sink: sink)
        #expect(second.context.secretKey == key)
        #expect(key.count == 32)
        second.shutdown()
    }

    @Test(TestBackend.sqliteOnly) func databaseFile_isCreated0600() throws {
        let running = try RunningApp()
        defer { running.stop() }
        var st = stat()
        #expect(stat(running.dir.file("db/fluxer-auth.sqlite"), &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test(TestBackend.sqliteOnly) func databaseNewerThanBinary_refusesToStart() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        let db = try DataStore(sqlitePath: config.databasePath)
        try db.write { try $0.run("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)") }
        db.close()
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        do {
            _ = try App(config: config, sink: sink)
            Issue.record("started on a newer database")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.description.contains("999"))
        }
    }

    @Test(TestBackend.sqliteOnly) func editedMigration_refusesToStart() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        _ = try MigrateCommand.run(config: config)
        let db = try DataStore(sqlitePath: config.databasePath)
        try db.write { try $0.run("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1") }
        db.close()
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        #expect(throws: StartupError.self) { _ = try App(config: config, sink: sink) }
    }

    @Test(TestBackend.sqliteOnly) func damagedDatabase_refusesToStart() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        mkdir(dir.file("db"), 0o700)
        dir.write("db/fluxer-auth.sqlite", String(repeating: "garbage!", count: 512))
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        do {
            _ = try App(config: config, sink: sink)
            Issue.record("started on a damaged database")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.description.hasPrefix("database:"))
        }
    }

    @Test func migrate_isIdempotent() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let config = testConfig(dir)
        let first = try MigrateCommand.run(config: config)
        #expect(first.applied == TestBackend.migrationVersions)
        let second = try MigrateCommand.run(config: config)
        #expect(second.applied.isEmpty)
        #expect(second.version == first.version)
    }

    @Test func embeddedMigrations_matchTheMigrationsDirectory() throws {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let onDisk = try Migration.load(directory: root + "/migrations")
        #expect(onDisk.map(\.version) == EmbeddedMigrations.all.map(\.version))
        #expect(onDisk.map(\.checksum) == EmbeddedMigrations.all.map(\.checksum), "run `make embed` after editing migrations/")
    }

    @Test func port_inUse_isAListenStartupError() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let dir = TempDir()
        defer { dir.remove() }
        var config = testConfig(dir)
        config.port = UInt16(running.port)
        let sink = LogSink(fd: -1)
        defer { sink.close() }
        let app = try App(config: config, sink: sink)
        defer { app.shutdown() }
        #expect(throws: StartupError.self) { try app.start() }
    }
}
