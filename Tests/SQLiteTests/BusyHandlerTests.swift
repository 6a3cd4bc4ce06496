import Dispatch
import Glibc
import SQLite
import Synchronization
import Testing

/// The busy handler: a write blocked by another connection's lock waits (counted in `busyWaits`) and goes
/// through once the lock is released, or gives up with SQLITE_BUSY when the busy timeout is spent.
@Suite struct BusyHandlerTests {
    /// `other` holds the write lock for `holdMilliseconds` on its own thread; `body` runs once it holds it.
    private func whileLocked(by other: Database, holdMilliseconds: UInt32, _ body: () throws -> Void) throws {
        let holding = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let thread = startThread {
            try? other.write { c in
                try c.run("INSERT INTO t VALUES (1)")
                holding.signal()
                usleep(holdMilliseconds * 1000)
            }
            done.signal()
        }
        holding.wait()
        defer {
            done.wait()
            pthread_join(thread, nil)
        }
        try body()
    }

    @Test func blockedWrite_waitsCountsAndSucceeds() throws {
        try withTempDatabase { db, dir throws in
            try db.write { try $0.execute("CREATE TABLE t (n INTEGER)") }
            #expect(db.busyWaits == 0)
            let other = try Database(path: dir + "/test.sqlite", readerCount: 1)
            defer { other.close() }
            try whileLocked(by: other, holdMilliseconds: 150) {
                _ = try db.write { try $0.run("INSERT INTO t VALUES (2)") }
            }
            #expect(db.busyWaits >= 1)
            #expect(other.busyWaits == 0)
            #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM t")?.int("n") } == 2)
        }
    }

    @Test func lockHeldPastTheTimeout_isBusy_afterAboutTheTimeout() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/test.sqlite"
            let db = try Database(path: path, readerCount: 1, busyTimeoutMilliseconds: 60)
            defer { db.close() }
            try db.write { try $0.execute("CREATE TABLE t (n INTEGER)") }
            let other = try Database(path: path, readerCount: 1)
            defer { other.close() }
            try whileLocked(by: other, holdMilliseconds: 600) {
                var start = timespec(), end = timespec()
                clock_gettime(CLOCK_MONOTONIC, &start)
                let error = #expect(throws: SQLiteError.self) { _ = try db.write { try $0.run("INSERT INTO t VALUES (2)") } }
                clock_gettime(CLOCK_MONOTONIC, &end)
                let elapsed = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1_000_000
                #expect(error?.isBusy == true)
                #expect(elapsed >= 50 && elapsed < 500, "gave up after \(elapsed) ms")
                // 1 + 2 + 5 + 10 + 15 + 20 ms, then the last 7 ms: seven waits fit in 60 ms.
                #expect(db.busyWaits == 7)
            }
        }
    }
}
