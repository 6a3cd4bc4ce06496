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
    /// runs `PRAGMA quick_check`.
    ///
    /// - Throws: `DatabaseError` (`.notADatabase`, `.corrupt`, file-system failures,
    ///   `.invalidReaderCount`) or `SQLiteError` for other SQLite failures.
    public init(path: String, readerCount: Int = 2, busyTimeoutMilliseconds: Int32 = 5000) throws {
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

    /// Runs `body` on the writer inside `BEGIN IMMEDIATE` … `COMMIT`; writes are serialized.
    ///
    /// If `body` or the commit throws, the transaction is rolled back and the error rethrown.
    /// Not reentrant: calling `write` (or `checkpoint`/`close`) from inside `body` deadlocks.
    /// A `read` inside `body` works but sees the state before this transaction.
    @discardableResult
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        var result: Result<T, any Error> = .failure(DatabaseError.closed)
        writerLock.withLock { closed in
            guard !closed else { return }
            result = Self.transaction(writer.connection, begin: "BEGIN IMMEDIATE", body)
        }
        return try result.get()
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
