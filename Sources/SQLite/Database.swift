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
    /// Syncs the log after commits, outside the writer lock (see `LogSync`).
    private let logSync: LogSync
    /// Whether the file is in WAL mode, so that `LogSync` makes commits durable (else SQLite's `FULL` does).
    private let syncsLog: Bool
    private let groupedBatches = Atomic<UInt64>(0)
    private let groupedWrites = Atomic<UInt64>(0)
    private let readers: [ConnectionSlot]
    /// Checkpoints the log off the write path (see `afterCommit`); used only on `checkpointQueue`.
    private let checkpointer: ConnectionSlot
    private let checkpointQueue = DispatchQueue(label: "fx-sqlite-checkpoint")
    private let checkpointScheduled = Atomic<Bool>(false)
    /// Guards `checkpointer`; the value is `true` once it is closed. A lock, not `checkpointQueue.sync`, so that
    /// `close` works from any thread, the queue's own included (a job may hold the last reference).
    private let checkpointerLock = BlockingLock(false)
    private let checkpoints = Atomic<UInt64>(0)
    /// Set when a background checkpoint has copied nearly all of the log: the writer copies the rest.
    private let catchUp = Atomic<Bool>(false)
    /// The log's frame count after the writer's last commit (written by the WAL hook on the writer's thread).
    private let walFrames = FrameCount()
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
    /// 0600 before SQLite opens it. Every connection gets `synchronous=FULL` (the writer `NORMAL`, its
    /// commits synced by `LogSync` instead), `foreign_keys=ON`,
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
        logSync = LogSync(databasePath: path)
        do {
            let writer = try Connection(
                path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            let mode = try writer.query("PRAGMA journal_mode=WAL").first?[0].textValue
            try Self.configure(writer)
            // The writer's commits are synced by `LogSync`, after the writer lock is released; SQLite still syncs
            // the log before each checkpoint and the database file after it. Only in WAL mode: a file system where
            // SQLite cannot keep a log (no shared memory) stays in rollback mode with `synchronous=FULL`.
            syncsLog = mode == "wal"
            if syncsLog { try writer.execute("PRAGMA synchronous=NORMAL") }
            try Self.quickCheck(writer)
            fx_sqlite_track_wal_frames(try writer.rawHandle(), walFrames.pointer)
            self.writer = ConnectionSlot(writer)
            let checkpointer = try Connection(
                path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            try checkpointer.execute("PRAGMA synchronous=FULL; PRAGMA cache_size=-256")
            self.checkpointer = ConnectionSlot(checkpointer)
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

    /// Where the WAL hook stores the frame count (freed with the database, or with a half-built one).
    private final class FrameCount: @unchecked Sendable {
        // Invariant: written by the hook on the writer's thread and read there, under the writer lock.
        let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        init() { pointer.initialize(to: 0) }
        deinit { pointer.deallocate() }
    }

    /// The log size at which a checkpoint is started in the background: SQLite's own automatic checkpoint
    /// threshold (1000 pages), which the writer no longer runs itself.
    static let checkpointFrames: Int32 = 1000
    /// The log size at which the writer checkpoints itself, in case the background checkpoints fall behind.
    static let inlineCheckpointFrames: Int32 = 16_000

    /// Called by the writer after each commit, under the writer lock. SQLite would checkpoint inside the commit
    /// that crosses 1000 frames, copying every page of the log into the database file (a write and a read
    /// per page, then an fsync) while the next batch waits. Here a `PASSIVE` checkpoint copies the log on its
    /// own connection and thread instead, alongside the writer and the readers (WAL lets a checkpoint run
    /// concurrently with both; it copies only what no reader still needs), and repeats while the writer keeps
    /// appending. Once it has caught up, the writer checkpoints the few frames committed since, itself, so the
    /// log is wholly copied and the next transaction starts it again from the beginning (SQLite restarts the
    /// log only when a write transaction begins with every frame copied). Durability is unchanged: a commit is
    /// durable once the log is synced, before any checkpoint.
    private func afterCommit() {
        if catchUp.exchange(false, ordering: .acquiringAndReleasing) {
            _ = try? writer.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            return
        }
        let frames = walFrames.pointer.pointee
        if frames >= Self.inlineCheckpointFrames {
            if (try? writer.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")) != nil { checkpoints.add(1, ordering: .relaxed) }
            return
        }
        guard frames >= Self.checkpointFrames, !checkpointScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        checkpointQueue.async { [self] in
            defer { checkpointScheduled.store(false, ordering: .releasing) }
            checkpointerLock.withLock { closed in
                guard !closed else { return }
                var copiedAll = false
                for _ in 0..<4 {
                    // One row: busy (another checkpoint ran), frames in the log, frames copied.
                    guard let row = try? checkpointer.connection.queryOne("PRAGMA wal_checkpoint(PASSIVE)"),
                          case .integer(let log) = row[1], case .integer(let copied) = row[2], log >= 0 else { return }
                    if log - copied <= 64 {
                        copiedAll = true
                        break
                    }
                }
                checkpoints.add(1, ordering: .relaxed)
                if copiedAll { catchUp.store(true, ordering: .releasing) }
            }
        }
    }

    /// Checkpoints run since the database opened (background and inline; `checkpoint()` not counted).
    public var checkpointCount: UInt64 { checkpoints.load(ordering: .relaxed) }

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
    /// transaction, each inside its own savepoint (`WriteQueue`). A call returns only after the commit that holds
    /// its body is durable: an `fdatasync` of the log begun after that commit has returned (`LogSync`, run by the
    /// batch's leader once it has handed the writer to the next batch).
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
            if let failed = logSync.failed { throw failed }
            let request = WriteRequest(run: { connection in result = .success(try body(connection)) },
                                       fail: { error in result = .failure(error) })
            writes.submit(request, runBatch: { batch in runBatch(batch) }, awaitDurable: { ticket in
                do throws(DatabaseError) {
                    try logSync.waitUntilDurable(ticket)
                    return nil
                } catch {
                    return error
                }
            })
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

    /// Log syncs made after commits, and commits made durable by them (`LogSync`): their ratio is how many
    /// commits one sync covered.
    public var logSyncCounts: (syncs: UInt64, commits: UInt64) {
        (logSync.syncs, logSync.counts.durable)
    }

    /// Runs one batch under the writer lock (see `write`). Called by the batch's leader only. Returns the ticket
    /// `LogSync` makes durable when anything committed.
    private func runBatch(_ batch: [WriteRequest]) -> UInt64? {
        return writerLock.withLock { closed -> UInt64? in
            guard !closed else {
                for request in batch { request.fail?(DatabaseError.closed) }
                return nil
            }
            let connection = writer.connection
            guard batch.count > 1 else {
                let ticket = runAlone(batch[0], on: connection)
                afterCommit()
                return ticket
            }
            do {
                try connection.run("BEGIN IMMEDIATE")
            } catch {
                // The lock could not be had within the busy timeout (another process writes): the same answer
                // each body would have had on its own.
                for request in batch { request.fail?(error) }
                return nil
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
                    let ticket = try commit(connection)
                    for request in committed { request.committed = true }
                    groupedBatches.add(1, ordering: .relaxed)
                    groupedWrites.add(UInt64(committed.count), ordering: .relaxed)
                    afterCommit()
                    return ticket
                } catch {
                    // Fall through: nothing of this batch is durable.
                }
            }
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            var ticket: UInt64?
            for request in committed + notRun { ticket = runAlone(request, on: connection) ?? ticket }
            afterCommit()
            return ticket
        }
    }

    /// `COMMIT` on the writer; the `LogSync` ticket to wait for when it appended frames to the log (in WAL mode).
    /// SQLite calls the WAL hook only for a commit that wrote frames, so the frame count is set to -1 around it: a
    /// transaction that changed nothing (a write body that decided to do nothing, or only read) has nothing to sync
    /// and is answered without waiting.
    private func commit(_ connection: Connection) throws -> UInt64? {
        let before = walFrames.pointer.pointee
        walFrames.pointer.pointee = -1
        do {
            try connection.run("COMMIT")
        } catch {
            if walFrames.pointer.pointee == -1 { walFrames.pointer.pointee = before }
            throw error
        }
        guard walFrames.pointer.pointee != -1 else {
            walFrames.pointer.pointee = before
            return nil
        }
        return syncsLog ? logSync.recordCommit() : nil
    }

    /// One body in its own `BEGIN IMMEDIATE` … `COMMIT`; the commit's `LogSync` ticket when it wrote to the log.
    private func runAlone(_ request: WriteRequest, on connection: Connection) -> UInt64? {
        do {
            try connection.run("BEGIN IMMEDIATE")
        } catch {
            request.fail?(error)
            return nil
        }
        do {
            try request.run?(connection)
            let ticket = try commit(connection)
            request.committed = true
            return ticket
        } catch {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL); only roll back if open.
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            request.fail?(error)
            return nil
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
            checkpointerLock.withLock { closed in
                closed = true
                checkpointer.connection.close()
            }
            // Every commit made durable before the log's descriptor closes: other processes' connections would keep
            // SQLite's close from checkpointing (and so from syncing) the log.
            try? logSync.waitUntilDurable(logSync.counts.committed)
            writer.connection.close()
            logSync.close()
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

