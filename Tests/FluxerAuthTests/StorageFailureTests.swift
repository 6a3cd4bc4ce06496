import FluxerPersistence
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer
import SQLite

/// SQLITE_FULL and a held write lock must become 503 SERVICE_UNAVAILABLE with Retry-After; the transaction
/// rolls back and the server keeps serving.
@Suite struct StorageFailureTests {
    final class Fixture {
        let dir = TempDir()
        let database: DataStore
        let server: HTTPServer

        init(busyTimeout: Int32 = 5_000) throws {
            database = try DataStore(sqlitePath: dir.file("t.sqlite"), readerCount: 1, busyTimeoutMilliseconds: busyTimeout)
            try database.write { try $0.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") }
            var router = Router()
            let database = self.database
            router.api(.POST, "/blobs") { request in
                try database.write { db in
                    try db.run("INSERT INTO blobs (data) VALUES (?)", [UInt8](repeating: 1, count: 4096))
                    try db.run("INSERT INTO blobs (data) VALUES (?)", request.body)
                }
                return .json(.created, #"{"ok":true}"#)
            }
            router.api(.GET, "/blobs") { _ in
                let count = try database.read { try $0.queryOne("SELECT count(*) AS n FROM blobs")?.int("n") ?? -1 }
                return .json(.ok, #"{"count":\#(count)}"#)
            }
            var configuration = HTTPServerConfiguration()
            configuration.listenAddresses = [ListenAddress(host: "127.0.0.1", port: 0)]
            configuration.eventLoopCount = 1
            configuration.workerCount = 4
            server = HTTPServer(configuration: configuration, router: router)
            try server.start()
        }

        var port: Int { server.boundPorts[0] }

        func stop() {
            server.shutdown()
            database.close()
            dir.remove()
        }
    }

    @Test func diskFull_is503_rollsBack_andServerStaysUp() throws {
        let f = try Fixture()
        defer { f.stop() }
        #expect(TestClient.request(port: f.port, "POST", "/blobs", body: "small").status == 201)
        // Cap the file at its current size: the next big insert hits SQLITE_FULL.
        try f.database.write { db in
            let pages = try db.queryOne("PRAGMA page_count")?[0]
            if case .integer(let n)? = pages { try db.execute("PRAGMA max_page_count = \(n + 1)") }
        }
        let big = String(repeating: "x", count: 256 * 1024)
        let full = TestClient.request(port: f.port, "POST", "/blobs", body: big)
        #expect(full.status == 503)
        #expect(full.header("Retry-After") == "1")
        #expect(full.body.contains(#""code":"SERVICE_UNAVAILABLE""#))
        // The whole transaction rolled back: the 4 KiB row inserted before the failure is gone too.
        let after = TestClient.request(port: f.port, "GET", "/blobs")
        #expect(after.status == 200)
        #expect(after.body == #"{"count":2}"#)
    }

    @Test func heldWriteLock_is503AfterBusyTimeout_readsStillWork() throws {
        let f = try Fixture(busyTimeout: 200)
        defer { f.stop() }
        // A second pool on the same file (as another process would) holds the write lock until released.
        let other = try DataStore(sqlitePath: f.dir.file("t.sqlite"), readerCount: 1)
        defer { other.close() }
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? other.write { db in
                try db.run("INSERT INTO blobs (data) VALUES (?)", [UInt8]([0]))
                locked.signal()
                release.wait()
                throw CancellationError()  // roll back
            }
        }
        holder.start()
        locked.wait()
        let blocked = TestClient.request(port: f.port, "POST", "/blobs", body: "x")
        #expect(blocked.status == 503)
        #expect(blocked.header("Retry-After") == "1")
        #expect(TestClient.request(port: f.port, "GET", "/blobs").body == #"{"count":0}"#)
        release.signal()
        while !holder.isFinished { usleep(1_000) }
        #expect(TestClient.request(port: f.port, "POST", "/blobs", body: "x").status == 201)
    }
}
