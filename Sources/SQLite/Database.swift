internal import CFluxerShim
import Dispatch
import Synchronization

/// A connection pool over one SQLite file in WAL mode: one writer connection (serialized) and
/// `readerCount` read-only connections (each leased to one caller at a time).
public final class Database: Sendable {
    /// The database file path as given to `init`.
    public let path: String
    /// The number of reader connections.
    public let readerCount: Int

    private let writer: ConnectionSlot
    /// Serializes all use of `writer`; the value is `true` once the database is closed.
    private let writerLock = BlockingLock(false)
    /// Write bodies waiting for the writer, grouped into batches (see `write`).
    private let writes: WriteQueue
    private let groupedBatches = Atomic<UInt64>(0)
    private let groupedWrites = Atomic<UInt64>(0)
    private let readers: [ConnectionSlot]
    private let pool: Mutex<ReaderPool>
    /// Counts free readers; `read` waits on it when every reader is leased.
    private let available: DispatchSemaphore

    private struct ReaderPool {
        var free: [Int]
        var closed = false
    }

    /// Opens (creating if needed) the database at `path`.
    ///
    /// A missing parent directory is created (mode 0700) and a missing file is created with mode
    /// 0600 before SQLite opens it. Every connection gets `synchronous=FULL`, `foreign_keys=ON`,
    /// the busy timeout and a 64 MiB journal size limit; the writer switches the file to WAL and
    /// runs `PRAGMA quick_check`. `maxWriteBatch` bounds how many write bodies one group commit takes.
    ///
    /// - Throws: `DatabaseError` (`.notADatabase`, `.corrupt`, file-system failures,
    ///   `.invalidReaderCount`) or `SQLiteError` for other SQLite failures.
    public init(path: String, readerCount: Int = 2, busyTimeoutMilliseconds: Int32 = 5000, maxWriteBatch: Int = 64) throws {
        writes = WriteQueue(maxBatch: maxWriteBatch)
        _ = Self.processSettings
        guard readerCount >= 1 else { throw DatabaseError.invalidReaderCount(readerCount) }
        try FileSystem.makeDirectories(FileSystem.parent(of: path))
        try FileSystem.createPrivateFile(path)
        self.path = path
        self.readerCount = readerCount
        do {
            let writer = try Connection(
                path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            try writer.execute("PRAGMA journal_mode=WAL")
            try Self.configure(writer)
            try Self.quickCheck(writer)
            self.writer = ConnectionSlot(writer)
            self.readers = try (0..<readerCount).map { _ in
                let reader = try Connection(
                    path: path, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                    busyTimeoutMilliseconds: busyTimeoutMilliseconds)
                try Self.configure(reader)
                return ConnectionSlot(reader)
            }
        } catch let error as SQLiteError {
            if error.code == SQLITE_NOTADB { throw DatabaseError.notADatabase(path: path) }
            if error.code == SQLITE_CORRUPT { throw DatabaseError.corrupt(error.message) }
            throw error
        }
        self.pool = Mutex(ReaderPool(free: Array(0..<readerCount)))
        self.available = DispatchSemaphore(value: readerCount)
    }

    deinit { close() }

    /// SQLite's process-wide settings, applied once before the first connection opens (`fx_sqlite_configure`).
    private static let processSettings: Int32 = fx_sqlite_configure()

    /// How many times a statement found the file locked by another connection or process and waited (SQLite's
    /// busy handler) before trying again, over every connection of this database.
    public var busyWaits: UInt64 {
        writer.connection.busyHandler.count + readers.reduce(0) { $0 + $1.connection.busyHandler.count }
    }

    private static func configure(_ connection: Connection) throws(SQLiteError) {
        try connection.execute(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864;"
            // A larger page cache keeps hot index pages out of read() syscalls.
            + " PRAGMA cache_size=-16384;")
    }

    private static func quickCheck(_ connection: Connection) throws {
        let lines = try connection.query("PRAGMA quick_check").compactMap { $0[0].textValue }
        guard lines == ["ok"] else {
            throw DatabaseError.corrupt(lines.prefix(3).joined(separator: "; "))
        }
    }

    /// Runs `body` on the writer inside `BEGIN IMMEDIATE` … `COMMIT`; writes are serialized, and committed in
    /// groups: while one batch commits, the bodies that arrive queue up and the next batch runs them all in one
    /// transaction (one fsync), each inside its own savepoint (`WriteQueue`). A call returns only after the
    /// commit that holds its body is durable.
    ///
    /// If `body` throws, only its own savepoint is rolled back and the error rethrown; the other bodies of its
    /// batch commit. If the batch cannot commit as a whole (the commit fails, or an error such as `SQLITE_FULL`
    /// aborts the transaction), each body that had succeeded runs again alone in its own transaction, so every
    /// call gets its own outcome: a body may therefore run more than once, and must collect what it does
    /// outside the database in variables it resets on entry (as on PostgreSQL, whose transactions retry).
    ///
    /// Bodies of one batch run in arrival order on one connection: each sees the writes of those before it.
    /// Not reentrant: calling `write` (or `checkpoint`/`close`) from inside `body` deadlocks. A `read` inside
    /// `body` works but sees the state before this batch.
    @discardableResult
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            var result: Result<T, any Error> = .failure(DatabaseError.closed)
            let request = WriteRequest(run: { connection in result = .success(try body(connection)) },
                                       fail: { error in result = .failure(error) })
            writes.submit(request) { batch in runBatch(batch) }
            return try result.get()
        }
    }

    /// Write bodies queued behind the batch that holds the writer (a gauge).
    public var queuedWrites: Int { writes.queuedCount }

    /// Bodies committed by batches of more than one, and the batches that held them: the group-commit
    /// counters (`writesGrouped / groupCommits` is the mean batch size).
    public var groupCommitCounts: (batches: UInt64, writes: UInt64) {
        (groupedBatches.load(ordering: .relaxed), groupedWrites.load(ordering: .relaxed))
    }

    /// Runs one batch under the writer lock (see `write`). Called by the batch's leader only.
    private func runBatch(_ batch: [WriteRequest]) {
        writerLock.withLock { closed in
            guard !closed else {
                for request in batch { request.fail?(DatabaseError.closed) }
                return
            }
            let connection = writer.connection
            guard batch.count > 1 else {
                Self.runAlone(batch[0], on: connection)
                return
            }
            do {
                try connection.run("BEGIN IMMEDIATE")
            } catch {
                // The lock could not be had within the busy timeout (another process writes): the same answer
                // each body would have had on its own.
                for request in batch { request.fail?(error) }
                return
            }
            var committed: [WriteRequest] = []
            var notRun: [WriteRequest] = []
            var aborted = false
            for request in batch {
                guard !aborted, (try? connection.run("SAVEPOINT fx_group_member")) != nil else {
                    aborted = true
                    notRun.append(request)
                    continue
                }
                do {
                    try request.run?(connection)
                    try connection.run("RELEASE fx_group_member")
                    committed.append(request)
                } catch {
                    request.fail?(error)
                    // SQLite ends the whole transaction on some errors (SQLITE_FULL, I/O errors): then the
                    // members before this one lost their work too.
                    if !connection.inTransaction
                        || (try? connection.run("ROLLBACK TO fx_group_member")) == nil
                        || (try? connection.run("RELEASE fx_group_member")) == nil {
                        aborted = true
                    }
                }
            }
            if !aborted {
                do {
                    try connection.run("COMMIT")
                    groupedBatches.add(1, ordering: .relaxed)
                    groupedWrites.add(UInt64(committed.count), ordering: .relaxed)
                    return
                } catch {
                    // Fall through: nothing of this batch is durable.
                }
            }
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            for request in committed + notRun { Self.runAlone(request, on: connection) }
        }
    }

    /// One body in its own `BEGIN IMMEDIATE` … `COMMIT`.
    private static func runAlone(_ request: WriteRequest, on connection: Connection) {
        do {
            try connection.run("BEGIN IMMEDIATE")
        } catch {
            request.fail?(error)
            return
        }
        do {
            try request.run?(connection)
            try connection.run("COMMIT")
        } catch {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL); only roll back if open.
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            request.fail?(error)
        }
    }

    /// Runs `body` on a free reader inside `BEGIN` … `COMMIT`, so all its queries see one snapshot.
    /// Waits while every reader is in use. Reader connections are read-only.
    @discardableResult
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        let index = try acquireReader()
        defer { releaseReader(index) }
        return try Self.transaction(readers[index].connection, begin: "BEGIN", body).get()
    }

    /// Runs `PRAGMA wal_checkpoint(TRUNCATE)` on the writer.
    public func checkpoint() throws {
        try writerLock.withLock { closed throws in
            guard !closed else { throw DatabaseError.closed }
            try writer.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Closes all connections, waiting for leased readers to come back. Idempotent; later
    /// `read`/`write` calls throw `DatabaseError.closed`. Must not be called inside `read`/`write`.
    public func close() {
        writerLock.withLock { closed in
            guard !closed else { return }
            closed = true
            pool.withLock { $0.closed = true }
            for _ in readers { available.wait() }
            for reader in readers { reader.connection.close() }
            for _ in readers { available.signal() }
            writer.connection.close()
        }
    }

    private func acquireReader() throws(DatabaseError) -> Int {
        if pool.withLock({ $0.closed }) { throw .closed }
        available.wait()
        let index = pool.withLock { state -> Int? in state.closed ? nil : state.free.popLast() }
        guard let index else {
            available.signal()
            throw .closed
        }
        return index
    }

    private func releaseReader(_ index: Int) {
        pool.withLock { $0.free.append(index) }
        available.signal()
    }

    private static func transaction<T>(
        _ connection: Connection, begin: String, _ body: (Connection) throws -> T
    ) -> Result<T, any Error> {
        do {
            try connection.execute(begin)
        } catch {
            return .failure(error)
        }
        do {
            let value = try body(connection)
            try connection.execute("COMMIT")
            return .success(value)
        } catch {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL); only roll back if open.
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            return .failure(error)
        }
    }
}
