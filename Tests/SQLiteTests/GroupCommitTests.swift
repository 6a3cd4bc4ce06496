import Dispatch
import Glibc
import SQLite
import Synchronization
import Testing

/// `Database.write`'s group commit: concurrent writes share one transaction, each body in its own savepoint.
/// Batches are made deterministic by holding the writer with a blocked body until the others have queued.
@Suite struct GroupCommitTests {
    struct Planned: Error, Equatable { let member: Int }

    /// Holds the writer with a body that waits, queues `count` writes from their own threads, and lets the writer
    /// go once all of them wait: they then form one batch. Returns each member's outcome, in member order.
    static func batch<T: Sendable>(
        _ db: Database, count: Int, _ body: @escaping @Sendable (Int, Connection) throws -> T
    ) throws -> [Result<T, any Error>] {
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        let holder = Thread {
            _ = try? db.write { _ in
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        let results = Mutex<[Int: Result<T, any Error>]>([:])
        let group = DispatchGroup()
        var threads: [Thread] = []
        for member in 0..<count {
            // Queued one at a time, in member order, so that the batch runs them in that order.
            let queued = db.queuedWrites
            group.enter()
            threads.append(Thread {
                let result = Result { try db.write { connection in try body(member, connection) } }
                results.withLock { $0[member] = result }
                group.leave()
            })
            while db.queuedWrites == queued { usleep(200) }
        }
        release.signal()
        group.wait()
        holder.join()
        threads.forEach { $0.join() }
        return results.withLock { r in (0..<count).map { r[$0]! } }
    }

    static func rows(_ db: Database, _ sql: String) throws -> [Int64] {
        try db.read { try $0.query(sql).compactMap { row -> Int64? in
            if case .integer(let value) = row[0] { return value }
            return nil
        } }
    }

    @Test func concurrentWritesCommitTogether() throws {
        try withTempDatabase { db, _ in
            try db.write { try $0.execute("CREATE TABLE t (member INTEGER PRIMARY KEY)") }
            let before = db.groupCommitCounts
            let results = try Self.batch(db, count: 20) { member, connection in
                try connection.run("INSERT INTO t (member) VALUES (?)", Int64(member))
                return member
            }
            #expect(results.map { try? $0.get() } == Array(0..<20))
            #expect(try Self.rows(db, "SELECT member FROM t ORDER BY member") == (0..<20).map(Int64.init))
            let after = db.groupCommitCounts
            #expect(after.batches - before.batches == 1)
            #expect(after.writes - before.writes == 20)
        }
    }

    @Test func aFailingBodyRollsBackOnlyItself() throws {
        try withTempDatabase { db, _ in
            try db.write { try $0.execute("CREATE TABLE t (member INTEGER PRIMARY KEY, name TEXT UNIQUE)") }
            let results = try Self.batch(db, count: 6) { member, connection in
                try connection.run("INSERT INTO t (member, name) VALUES (?, ?)", Int64(member), "m\(member)")
                if member == 2 { throw Planned(member: member) }  // after a write of its own
                if member == 4 {  // a constraint violation in the middle of the batch
                    try connection.run("INSERT INTO t (member, name) VALUES (?, ?)", Int64(100), "m0")
                }
                return member
            }
            #expect(results.compactMap { try? $0.get() } == [0, 1, 3, 5])
            #expect(throws: Planned(member: 2)) { try results[2].get() }
            #expect(throws: SQLiteError.self) { try results[4].get() }
            #expect(try Self.rows(db, "SELECT member FROM t ORDER BY member") == [0, 1, 3, 5])
        }
    }

    @Test func membersSeeEarlierMembersWrites() throws {
        // Two spends of one single-use code in one batch: the second sees the first's update.
        try withTempDatabase { db, _ in
            try db.write {
                try $0.execute("CREATE TABLE codes (id INTEGER PRIMARY KEY, used INTEGER NOT NULL)")
                try $0.run("INSERT INTO codes VALUES (1, 0)")
            }
            let results = try Self.batch(db, count: 8) { _, connection in
                try connection.run("UPDATE codes SET used = 1 WHERE id = 1 AND used = 0")
            }
            #expect(results.map { try? $0.get() } == [1, 0, 0, 0, 0, 0, 0, 0])
        }
    }

    @Test func anAbortedBatchRunsEachSuccessfulBodyAgainAlone() throws {
        // A body that ends the whole transaction (as SQLITE_FULL or an I/O error may): the members before it lost
        // their work and run again alone; the members after it run alone; every call gets its own outcome, and
        // each change is in the database exactly once.
        try withTempDatabase { db, _ in
            try db.write {
                try $0.execute("CREATE TABLE t (member INTEGER PRIMARY KEY)")
            }
            let runs = Mutex<[Int: Int]>([:])
            let results = try Self.batch(db, count: 5) { member, connection in
                runs.withLock { $0[member, default: 0] += 1 }
                if member == 2 {
                    try connection.execute("ROLLBACK")
                    throw Planned(member: member)
                }
                try connection.run("INSERT INTO t (member) VALUES (?)", Int64(member))
                return member
            }
            #expect(results.compactMap { try? $0.get() } == [0, 1, 3, 4])
            #expect(throws: Planned(member: 2)) { try results[2].get() }
            #expect(try Self.rows(db, "SELECT member FROM t ORDER BY member") == [0, 1, 3, 4])
            #expect(runs.withLock { $0 } == [0: 2, 1: 2, 2: 1, 3: 1, 4: 1])
        }
    }

    @Test func aLoneWriteIsNotGrouped() throws {
        try withTempDatabase { db, _ in
            try db.write { try $0.execute("CREATE TABLE t (x INTEGER)") }
            for i in 0..<5 { try db.write { try $0.run("INSERT INTO t VALUES (?)", Int64(i)) } }
            #expect(db.groupCommitCounts.batches == 0)
            #expect(try Self.rows(db, "SELECT count(*) FROM t") == [5])
        }
    }

    @Test func writesQueuedWhenTheDatabaseClosesFailWithClosed() throws {
        try withTempDirectory { dir in
            let db = try Database(path: dir + "/db.sqlite")
            try db.write { try $0.execute("CREATE TABLE t (x INTEGER)") }
            db.close()
            #expect(throws: DatabaseError.closed) { try db.write { try $0.run("INSERT INTO t VALUES (1)") } }
        }
    }

    @Test func manyThreadsHammering() throws {
        // 8 threads × 200 increments with no coordination: every increment lands once.
        try withTempDatabase { db, _ in
            try db.write {
                try $0.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
                try $0.run("INSERT INTO n VALUES (1, 0)")
            }
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                for _ in 0..<200 { _ = try? db.write { try $0.run("UPDATE n SET v = v + 1 WHERE id = 1") } }
            }
            #expect(try Self.rows(db, "SELECT v FROM n") == [1600])
        }
    }
}

/// A joinable thread (Foundation-free).
final class Thread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
        let box = Unmanaged.passRetained(self)
        pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, box.toOpaque())
    }

    func join() { pthread_join(handle, nil) }
}
