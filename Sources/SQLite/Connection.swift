internal import CFluxerShim

/// One SQLite connection. Not `Sendable`: a `Database` hands it to one thread at a time, inside
/// `Database.read` or `Database.write`. Prepared statements are cached by SQL text.
public final class Connection {
    /// Cached statements are capped so that dynamically built SQL cannot grow the cache forever.
    static let statementCacheLimit = 256

    private var handle: OpaquePointer?
    private var cache: [String: Statement] = [:]
    /// Waits out a lock held by another connection, counting each wait; lives as long as the connection.
    let busyHandler: BusyHandler

    /// Opens a connection with the given `SQLITE_OPEN_*` flags.
    init(path: String, flags: Int32, busyTimeoutMilliseconds: Int32) throws(SQLiteError) {
        busyHandler = BusyHandler(timeoutMilliseconds: busyTimeoutMilliseconds)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let error = db.map { SQLiteError.from($0) } ?? SQLiteError.code(rc)
            sqlite3_close(db)
            throw error
        }
        sqlite3_extended_result_codes(db, 1)
        busyHandler.install(on: db)
        handle = db
    }

    deinit { close() }

    /// Finalizes cached statements and closes the connection. Idempotent.
    func close() {
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        if let handle { sqlite3_close(handle) }
        handle = nil
    }

    /// The open handle, for the module's own calls that take two connections (`Database.backup`).
    func rawHandle() throws(SQLiteError) -> OpaquePointer { try open() }

    private func open() throws(SQLiteError) -> OpaquePointer {
        guard let handle else { throw SQLiteError.misuse("connection is closed") }
        return handle
    }

    /// Whether a transaction is open on this connection.
    var inTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// Runs one or more SQL statements without parameters (migrations, pragmas, `BEGIN`).
    public func execute(_ sql: String) throws(SQLiteError) {
        let db = try open()
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw SQLiteError.from(db) }
    }

    /// Runs one statement with bound arguments and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ args: SQLiteBindable?...) throws(SQLiteError) -> Int {
        _ = try perform(sql, args, collect: false)
        return changes
    }

    /// `run` with the arguments as an array.
    @discardableResult
    public func run(_ sql: String, arguments args: [SQLiteBindable?]) throws(SQLiteError) -> Int {
        _ = try perform(sql, args, collect: false)
        return changes
    }

    /// Runs one query with bound arguments and returns all rows.
    public func query(_ sql: String, _ args: SQLiteBindable?...) throws(SQLiteError) -> [Row] {
        try perform(sql, args, collect: true)
    }

    /// `query` with the arguments as an array.
    public func query(_ sql: String, arguments args: [SQLiteBindable?]) throws(SQLiteError) -> [Row] {
        try perform(sql, args, collect: true)
    }

    /// Runs one query with bound arguments and returns its first row, if any.
    public func queryOne(_ sql: String, _ args: SQLiteBindable?...) throws(SQLiteError) -> Row? {
        try perform(sql, args, collect: true).first
    }

    /// The rowid of the most recent successful `INSERT` on this connection.
    public var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// Rows changed by the most recent `INSERT`, `UPDATE` or `DELETE` on this connection.
    public var changes: Int {
        handle.map { Int(sqlite3_changes64($0)) } ?? 0
    }

    /// Number of cached prepared statements (for tests and diagnostics).
    public var cachedStatementCount: Int { cache.count }

    private func perform(_ sql: String, _ args: [SQLiteBindable?], collect: Bool) throws(SQLiteError) -> [Row] {
        let db = try open()
        let statement: Statement
        var cacheIt = false
        if let cached = cache[sql] {
            statement = cached
        } else {
            statement = try Statement(db: db, sql: sql)
            cacheIt = cache.count < Self.statementCacheLimit
        }
        defer {
            if cacheIt { cache[sql] = statement }
            if cacheIt || cache[sql] === statement { statement.reset() } else { statement.finalize() }
        }
        try statement.bind(args)
        return try statement.execute(collect: collect)
    }
}
