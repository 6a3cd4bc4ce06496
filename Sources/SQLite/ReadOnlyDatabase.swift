internal import CFluxerShim

/// One read-only connection to an existing SQLite file, for tools that read a whole database at once
/// (`fluxer-auth db copy`).
///
/// Unlike `Database` it never creates the file (a mistyped path is an error, not a new empty database) and never
/// writes it: no `journal_mode` switch, no `quick_check` on a writer, `PRAGMA query_only`. Rows can be streamed
/// one at a time, so a table of any size is read in constant memory. Not `Sendable`: one thread uses it.
public final class ReadOnlyDatabase {
    /// The database file path as given to `init`.
    public let path: String
    private var handle: OpaquePointer?

    /// Opens the file at `path` read-only and reads its header.
    ///
    /// - Throws: `DatabaseError.notADatabase` when the file is not an SQLite database; `SQLiteError` otherwise
    ///   (`SQLITE_CANTOPEN` when there is no file).
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        var db: OpaquePointer?
        // No SQLITE_OPEN_CREATE: a missing file stays missing.
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let error = db.map { SQLiteError.from($0) } ?? SQLiteError.code(rc)
            sqlite3_close(db)
            throw error
        }
        sqlite3_extended_result_codes(db, 1)
        fx_sqlite_config_busy_timeout(db, busyTimeoutMilliseconds)
        handle = db
        do {
            // SQLite reads the header lazily; a file that is not a database fails here rather than mid-way.
            _ = try ReadOnlySnapshot(db: db).query("PRAGMA query_only = 1")
            _ = try ReadOnlySnapshot(db: db).query("SELECT count(*) FROM sqlite_master")
        } catch {
            close()
            if error.code == SQLITE_NOTADB { throw DatabaseError.notADatabase(path: path) }
            if error.code == SQLITE_CORRUPT { throw DatabaseError.corrupt(error.message) }
            throw error
        }
    }

    deinit { close() }

    /// Closes the connection. Idempotent; `read` throws `DatabaseError.closed` afterwards.
    public func close() {
        if let handle { sqlite3_close(handle) }
        handle = nil
    }

    /// Runs `body` inside one read transaction (`BEGIN` … `COMMIT`): every query in it sees the same snapshot of
    /// the file, whatever other connections commit meanwhile (WAL readers are never blocked by the writer).
    @discardableResult
    public func read<T>(_ body: (ReadOnlySnapshot) throws -> T) throws -> T {
        guard let handle else { throw DatabaseError.closed }
        let snapshot = ReadOnlySnapshot(db: handle)
        try snapshot.execute("BEGIN")
        do {
            let value = try body(snapshot)
            try snapshot.execute("COMMIT")
            return value
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { try? snapshot.execute("ROLLBACK") }
            throw error
        }
    }
}

/// Queries on a `ReadOnlyDatabase` inside its `read`; valid only there. Arguments are bound, never formatted into
/// the SQL.
public struct ReadOnlySnapshot {
    private let db: OpaquePointer

    fileprivate init(db: OpaquePointer) { self.db = db }

    fileprivate func execute(_ sql: String) throws(SQLiteError) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw SQLiteError.from(db) }
    }

    /// Runs one query and returns all its rows.
    public func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [Row] {
        let statement = try Statement(db: db, sql: sql)
        defer { statement.finalize() }
        try statement.bind(arguments)
        return try statement.execute(collect: true)
    }

    /// Runs one query and hands its rows to `body` one at a time, as SQLite steps to them: a table of any size
    /// streams through in constant memory. An error from `body` stops the query and is rethrown.
    public func forEachRow(_ sql: String, _ arguments: [SQLiteValue] = [], _ body: (Row) throws -> Void) throws {
        let statement = try Statement(db: db, sql: sql)
        defer { statement.finalize() }
        try statement.bind(arguments)
        let count = sqlite3_column_count(statement.handle)
        let names = (0..<count).map { String(cString: sqlite3_column_name(statement.handle, $0)) }
        while true {
            let rc = sqlite3_step(statement.handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw SQLiteError.from(db) }
            try body(Row(columnNames: names, values: (0..<count).map(statement.column)))
        }
    }
}
