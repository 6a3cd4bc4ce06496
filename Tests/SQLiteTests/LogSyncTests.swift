import Dispatch
import Glibc
import SQLite
import Synchronization
import Testing

/// `LogSync`: the writer commits with `synchronous=NORMAL` and each `Database.write` returns only once an
/// `fdatasync` of the log that began after its commit has returned; syncs are shared by concurrent commits.
@Suite struct LogSyncTests {
    @Test func eachWrite_returnsOnlyOnceItsCommitIsDurable() throws {
        try withTempDirectory { dir throws in
            let db = try Database(path: dir + "/db.sqlite")
            defer { db.close() }
            try db.write { try $0.execute("CREATE TABLE t (v INTEGER)") }
            let start = db.logSyncCounts
            for value in 1...20 {
                try db.write { try $0.run("INSERT INTO t VALUES (?)", value) }
                // One at a time: every commit has its own sync, done before the call returned.
                #expect(db.logSyncCounts.commits == start.commits + UInt64(value))
                #expect(db.logSyncCounts.syncs == start.syncs + UInt64(value))
            }
        }
    }

    @Test func concurrentWrites_shareSyncs_andAllLand() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/db.sqlite"
            let db = try Database(path: path)
            try db.write { try $0.execute("CREATE TABLE t (thread INTEGER, n INTEGER, PRIMARY KEY (thread, n))") }
            let start = db.logSyncCounts
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 8) { thread in
                for n in 0..<50 {
                    do {
                        try db.write { try $0.run("INSERT INTO t VALUES (?, ?)", thread, n) }
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            let end = db.logSyncCounts
            // Every commit is durable by now, and no commit needed more than one sync.
            #expect(end.commits - start.commits <= 400)
            #expect(end.commits > start.commits)
            #expect(end.syncs - start.syncs <= end.commits - start.commits)
            db.close()
            // What every call was told is on file: a fresh open reads all 400 rows.
            let reopened = try Database(path: path)
            defer { reopened.close() }
            #expect(try reopened.read { try $0.queryOne("SELECT count(*) FROM t")?[0] } == .integer(400))
        }
    }

    /// A transaction that changed nothing appends no frame to the log: nothing to sync, no wait.
    @Test func writeThatChangesNothing_syncsNothing() throws {
        try withTempDirectory { dir throws in
            let db = try Database(path: dir + "/db.sqlite")
            defer { db.close() }
            try db.write { try $0.execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)") }
            let start = db.logSyncCounts
            #expect(try db.write { try $0.queryOne("SELECT count(*) FROM t")?[0] } == .integer(1))
            #expect(try db.write { try $0.run("UPDATE t SET v = 2 WHERE v = 5") } == 0)
            #expect(db.logSyncCounts.syncs == start.syncs)
            // The next write that changes something is synced as before.
            try db.write { try $0.run("INSERT INTO t VALUES (3)") }
            #expect(db.logSyncCounts.syncs == start.syncs + 1)
            #expect(db.logSyncCounts.commits == start.commits + 1)
        }
    }

    @Test func failedBody_commitsNothing_andSyncsNothing() throws {
        struct Refused: Error {}
        try withTempDirectory { dir throws in
            let db = try Database(path: dir + "/db.sqlite")
            defer { db.close() }
            try db.write { try $0.execute("CREATE TABLE t (v INTEGER)") }
            let start = db.logSyncCounts
            #expect(throws: Refused.self) {
                try db.write { connection in
                    try connection.run("INSERT INTO t VALUES (1)")
                    throw Refused()
                }
            }
            #expect(db.logSyncCounts.syncs == start.syncs)
            #expect(db.logSyncCounts.commits == start.commits)
            #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t")?[0] } == .integer(0))
        }
    }

    /// A sync that fails is permanent (after a writeback error Linux may drop the pages and report success
    /// later): the write that needed it fails, every later write is refused at once, reads go on. The failure is
    /// provoked by unlinking the log under SQLite, which makes the sync's `stat` of the log fail with ENOENT.
    @Test func failedSync_failsTheWrite_andRefusesLaterOnes() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/db.sqlite"
            let db = try Database(path: path)
            defer { db.close() }
            try db.write { try $0.execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)") }
            #expect(unlink(path + "-wal") == 0)
            #expect(throws: DatabaseError.logSyncFailed(errno: ENOENT)) {
                try db.write { try $0.run("INSERT INTO t VALUES (2)") }
            }
            let syncs = db.logSyncCounts.syncs
            #expect(throws: DatabaseError.logSyncFailed(errno: ENOENT)) {
                try db.write { try $0.run("INSERT INTO t VALUES (3)") }
            }
            // Refused before running: no new commit, no new sync.
            #expect(db.logSyncCounts.syncs == syncs)
            #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t WHERE v = 1")?[0] } == .integer(1))
            #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t WHERE v = 3")?[0] } == .integer(0))
        }
    }
}
