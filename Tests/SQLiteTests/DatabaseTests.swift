import Dispatch
import Glibc
import SQLite
import Synchronization
import Testing

@Suite struct DatabaseTests {
    @Test func openCreatesPrivateFileInWALMode() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/nested/deeper/auth.sqlite"
            let db = try Database(path: path)
            defer { db.close() }
            #expect(db.path == path)
            #expect(permissions(path) == 0o600)
            #expect(permissions(dir + "/nested") == 0o700)
            #expect(try db.read { try $0.queryOne("PRAGMA journal_mode")?[0] } == .text("wal"))
            #expect(try db.read { try $0.queryOne("PRAGMA foreign_keys")?[0] } == .integer(1))
            // The writer commits with NORMAL and `LogSync` syncs the log before the write returns; readers FULL.
            #expect(try db.write { try $0.queryOne("PRAGMA synchronous")?[0] } == .integer(1))
            #expect(try db.read { try $0.queryOne("PRAGMA synchronous")?[0] } == .integer(2))
        }
    }

    @Test func existingFileKeepsItsMode() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/db.sqlite"
            try writeFile(path, [UInt8]())
            chmod(path, 0o640)
            let db = try Database(path: path)
            db.close()
            #expect(permissions(path) == 0o640)
        }
    }

    @Test func reopenKeepsData() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/db.sqlite"
            let first = try Database(path: path)
            try first.write { try $0.execute("CREATE TABLE t (v); INSERT INTO t VALUES (1);") }
            first.close()
            let second = try Database(path: path)
            defer { second.close() }
            #expect(try count(second, "t") == 1)
        }
    }

    @Test func foreignKeysAreEnforced() throws {
        try withTempDatabase { db, _ throws in
            try db.write {
                try $0.execute(
                    """
                    CREATE TABLE parent (id INTEGER PRIMARY KEY);
                    CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id));
                    """)
            }
            let thrown = #expect(throws: SQLiteError.self) {
                try db.write { try $0.run("INSERT INTO child (parent_id) VALUES (?)", 99) }
            }
            #expect(thrown?.isConstraint == true)
            #expect(try count(db, "child") == 0)
        }
    }

    @Test func writeCommitsAndIsVisibleToReaders() throws {
        try withTempDatabase { db, _ throws in
            let id = try db.write { c -> Int64 in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
                try c.run("INSERT INTO t (v) VALUES (?)", "hello")
                return c.lastInsertRowID
            }
            #expect(try db.read { try $0.queryOne("SELECT v FROM t WHERE id = ?", id)?.string("v") } == "hello")
        }
    }

    @Test func writeRollsBackOnThrow() throws {
        struct Boom: Error {}
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v)") }
            #expect(throws: Boom.self) {
                try db.write { c throws in
                    try c.run("INSERT INTO t VALUES (?)", 1)
                    throw Boom()
                }
            }
            #expect(try count(db, "t") == 0)
            try db.write { try $0.run("INSERT INTO t VALUES (?)", 2) }
            #expect(try count(db, "t") == 1)
        }
    }

    @Test func readInsideWriteSeesCommittedSnapshot() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v)") }
            try db.write { c throws in
                try c.run("INSERT INTO t VALUES (?)", 1)
                #expect(try count(db, "t") == 0)
            }
            #expect(try count(db, "t") == 1)
        }
    }

    @Test func readerOnOtherThreadSeesOldSnapshotUntilCommit() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v)") }
            let inserted = DispatchSemaphore(value: 0)
            let readerDone = DispatchSemaphore(value: 0)
            let writerFailed = Atomic(false)
            let writer = startThread {
                do {
                    try db.write { c throws in
                        try c.run("INSERT INTO t VALUES (?)", 1)
                        inserted.signal()
                        readerDone.wait()
                    }
                } catch {
                    writerFailed.store(true, ordering: .relaxed)
                    inserted.signal()
                }
            }
            inserted.wait()
            let seenDuringWrite = try count(db, "t")
            // A read snapshot held across the commit keeps seeing the old state.
            let snapshot = try db.read { c -> (Int64?, Int64?) in
                let before = try c.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n")
                readerDone.signal()
                pthread_join(writer, nil)
                let after = try c.queryOne("SELECT COUNT(*) AS n FROM t")?.int("n")
                return (before, after)
            }
            let failed = writerFailed.load(ordering: .relaxed)
            #expect(!failed)
            #expect(seenDuringWrite == 0)
            #expect(snapshot.0 == 0 && snapshot.1 == 0)
            #expect(try count(db, "t") == 1)
        }
    }

    @Test func concurrentWritersLoseNoUpdates() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);") }
            let failures = Atomic(0)
            runThreads(8) { _ in
                for _ in 0..<100 {
                    do {
                        try db.write { c throws in
                            let n = try c.queryOne("SELECT n FROM counter")?.int("n") ?? -1
                            try c.run("UPDATE counter SET n = ?", n + 1)
                        }
                    } catch {
                        failures.add(1, ordering: .relaxed)
                    }
                }
            }
            let failed = failures.load(ordering: .relaxed)
            #expect(failed == 0)
            #expect(try db.read { try $0.queryOne("SELECT n FROM counter")?.int("n") } == 800)
        }
    }

    @Test func readersWaitWhenAllAreBusy() throws {
        try withTempDatabase(readerCount: 1) { db, _ throws in
            let holding = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let secondDone = Atomic(false)
            let first = startThread {
                _ = try? db.read { _ in
                    holding.signal()
                    release.wait()
                }
            }
            holding.wait()
            let second = startThread {
                _ = try? db.read { _ in secondDone.store(true, ordering: .sequentiallyConsistent) }
            }
            usleep(100_000)
            let finishedEarly = secondDone.load(ordering: .sequentiallyConsistent)
            #expect(!finishedEarly)
            release.signal()
            pthread_join(first, nil)
            pthread_join(second, nil)
            let finished = secondDone.load(ordering: .sequentiallyConsistent)
            #expect(finished)
        }
    }

    @Test func fullDatabaseIsUnavailableAndRecovers() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE big (data BLOB); CREATE TABLE small (v);") }
            try db.write { try $0.execute("PRAGMA max_page_count = 64") }
            let blob = [UInt8](repeating: 0xAB, count: 32 * 1024)
            var inserted = 0
            let thrown = #expect(throws: SQLiteError.self) {
                try db.write { c throws in
                    for _ in 0..<1000 {
                        try c.run("INSERT INTO big VALUES (?)", blob)
                        inserted += 1
                    }
                }
            }
            #expect(inserted > 0)
            #expect(thrown?.isFull == true)
            #expect(thrown?.isUnavailable == true)
            #expect(try count(db, "big") == 0)
            try db.write { try $0.run("INSERT INTO small VALUES (?)", "fits") }
            try db.write { try $0.run("INSERT INTO big VALUES (?)", blob) }
            #expect(try count(db, "small") == 1)
            #expect(try count(db, "big") == 1)
        }
    }

    @Test func checkpointTruncatesWAL() throws {
        try withTempDatabase { db, dir throws in
            try db.write { try $0.execute("CREATE TABLE t (v); INSERT INTO t VALUES (1);") }
            try db.checkpoint()
            var st = stat()
            #expect(stat(dir + "/test.sqlite-wal", &st) == 0)
            #expect(st.st_size == 0)
            #expect(try count(db, "t") == 1)
        }
    }

    @Test func nonDatabaseFileIsRejected() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/random.sqlite"
            var rng = SystemRandomNumberGenerator()
            try writeFile(path, (0..<8192).map { _ in UInt8.random(in: 0...255, using: &rng) })
            #expect(throws: DatabaseError.notADatabase(path: path)) {
                try Database(path: path)
            }
        }
    }

    @Test func textFileIsRejected() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/notes.sqlite"
            try writeFile(path, String(repeating: "this is not a database\n", count: 200))
            #expect(throws: DatabaseError.notADatabase(path: path)) {
                try Database(path: path)
            }
        }
    }

    @Test func corruptPageIsRejected() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/db.sqlite"
            let db = try Database(path: path)
            try db.write { c throws in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v);")
                for i in 0..<2000 { try c.run("INSERT INTO t (v) VALUES (?)", "value \(i)") }
            }
            db.close()
            // Overwrite the middle of page 3 (B-tree pages of the table/index) with garbage.
            let fd = open(path, O_WRONLY)
            let garbage = [UInt8](repeating: 0x5A, count: 2048)
            _ = garbage.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 4096 * 2 + 8) }
            close(fd)
            let thrown = #expect(throws: DatabaseError.self) { try Database(path: path) }
            if case .corrupt = thrown {} else { Issue.record("expected .corrupt, got \(String(describing: thrown))") }
        }
    }

    @Test func invalidReaderCountIsRejected() throws {
        try withTempDirectory { dir throws in
            #expect(throws: DatabaseError.invalidReaderCount(0)) {
                try Database(path: dir + "/db.sqlite", readerCount: 0)
            }
        }
    }

    @Test func uncreatableDirectoryIsRejected() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/file", "x")
            #expect(throws: DatabaseError.cannotCreateDirectory(path: dir + "/file", errno: ENOTDIR)) {
                try Database(path: dir + "/file/sub/db.sqlite")
            }
        }
    }

    @Test func emptyPathIsRejected() {
        #expect(throws: DatabaseError.cannotCreateFile(path: "", errno: ENOENT)) { try Database(path: "") }
    }

    @Test func pathThatIsADirectoryIsRejected() throws {
        try withTempDirectory { dir throws in
            #expect(throws: (any Error).self) { try Database(path: dir) }
        }
    }

    @Test func closeIsIdempotentAndLaterUseThrows() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v)") }
            db.close()
            db.close()
            #expect(throws: DatabaseError.closed) { try db.write { _ in 1 } }
            #expect(throws: DatabaseError.closed) { try db.read { _ in 1 } }
            #expect(throws: DatabaseError.closed) { try db.checkpoint() }
        }
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [DatabaseError] = [
            .invalidReaderCount(0), .cannotCreateDirectory(path: "/x", errno: 13),
            .cannotCreateFile(path: "/x", errno: 13), .notADatabase(path: "/x"), .corrupt("bad"), .closed,
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
    }
}
