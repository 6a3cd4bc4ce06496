import Dispatch
import Glibc
import SQLite
import Testing

/// The write-ahead log: checkpointed off the write path (the writer's commits never copy pages into the database
/// file, a background connection does, and the log stays bounded under a steady stream of writes), and written
/// through the shim's VFS, which hands a commit's frames to the kernel in a few large writes.
@Suite struct CheckpointTests {
    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    @Test func backgroundCheckpoints_keepTheLogBounded() throws {
        try withTempDatabase { db, dir in
            let path = dir + "/test.sqlite"
            try db.write { try $0.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") }
            // 4,000 commits of a 3 KB row each: ~4,000 log frames without checkpoints (16 MB of log).
            let row = [UInt8](repeating: 0xA5, count: 3000)
            for _ in 0..<4000 {
                try db.write { try $0.run("INSERT INTO blobs (data) VALUES (?)", row) }
            }
            var waited = 0
            while db.checkpointCount == 0 && waited < 5000 {
                usleep(10_000)
                waited += 10
            }
            #expect(db.checkpointCount >= 1)
            // The log restarts from its beginning once a checkpoint has copied it: far below 16 MB.
            #expect(Self.fileSize(path + "-wal") < 10 * 1024 * 1024)
            // Everything committed is there, through the log and the file alike.
            #expect(try db.read { try $0.queryOne("SELECT count(*), sum(length(data)) FROM blobs") }?[0] == .integer(4000))
            #expect(try db.read { try $0.queryOne("PRAGMA integrity_check") }?[0] == .text("ok"))
        }
    }

    @Test func closeWithACheckpointPending_isClean() throws {
        try withTempDirectory { dir in
            let path = dir + "/test.sqlite"
            let row = [UInt8](repeating: 0x5A, count: 3000)
            do {
                let db = try Database(path: path)
                try db.write { try $0.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") }
                for _ in 0..<1200 {
                    try db.write { try $0.run("INSERT INTO blobs (data) VALUES (?)", row) }
                }
                db.close()  // a background checkpoint may be queued or running: close waits, nothing breaks
                #expect(throws: DatabaseError.closed) { try db.write { try $0.execute("SELECT 1") } }
            }
            let reopened = try Database(path: path)
            defer { reopened.close() }
            #expect(try reopened.read { try $0.queryOne("SELECT count(*) FROM blobs") }?[0] == .integer(1200))
        }
    }

    /// A commit larger than the default VFS's largest single write (0x1ffff bytes) goes out in pieces: once, a
    /// 160 KB flush was masked to 32 KB and reported as a full disk.
    @Test(arguments: [1, 40, 43, 44, 100, 400])
    func largeCommits_areWrittenWhole(rows: Int) throws {
        try withTempDatabase { db, dir in
            try db.write { try $0.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)") }
            let row = [UInt8](repeating: 0x3C, count: 3000)
            try db.write { connection in
                for _ in 0..<rows { try connection.run("INSERT INTO blobs (data) VALUES (?)", row) }
            }
            #expect(try db.read { try $0.queryOne("SELECT count(*) FROM blobs") }?[0] == .integer(Int64(rows)))
            db.close()
            // Read back from the file alone (the log replayed by a fresh connection): every row, intact.
            let reopened = try Database(path: dir + "/test.sqlite")
            defer { reopened.close() }
            #expect(try reopened.read { try $0.queryOne("SELECT count(*), sum(length(data)) FROM blobs") }?[1] == .integer(Int64(rows * 3000)))
            #expect(try reopened.read { try $0.queryOne("PRAGMA integrity_check") }?[0] == .text("ok"))
        }
    }
}
