internal import CFluxerShim
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Not `Sendable`: a `PostgresDatabase` hands it to one thread at a time, inside `read` or
/// `write` (libpq allows one thread per `PGconn` at a time, libpq docs §34.20 "Behavior in Threaded Programs").
///
/// Statements are prepared once per connection and cached by SQL text and parameter types, so a hot query is
/// parsed and planned once per connection rather than once per call (libpq docs §34.3.1 `PQprepare`).
public final class PostgresConnection {
    /// Cached statements are capped so that dynamically built SQL cannot grow the server's memory forever; past
    /// the cap, statements run unnamed through `PQexecParams`.
    static let statementCacheLimit = 256

    /// The libpq connection; nil once closed.
    private(set) var handle: OpaquePointer?
    private let url: PostgresURL
    /// Prepared statements by cache key (`types \0 sql`).
    private var cache: [String: PreparedStatement] = [:]
    private var statementCounter = 0
    /// Prepared statements evicted after a schema change, to `DEALLOCATE` once the transaction allows it.
    private var staleStatements: [String] = []
    private var savepointDepth = 0

    /// Set when a statement failed in a way that a fresh run of the whole transaction may cure: a
    /// serialization failure, a deadlock, or a cached plan invalidated by a schema change. The transaction runner
    /// clears it before each attempt; checking it (rather than the error a closure rethrows) means a store that
    /// maps or wraps errors does not defeat the retry.
    var sawRetryableFailure = false

    /// Opens a connection with `PQconnectdbParams` (libpq docs §34.1), which blocks this thread for at most the
    /// connect timeout per host address.
    init(
        configuration: PostgresConfiguration, defaults: [(keyword: String, value: String)] = []
    ) throws(PostgresError) {
        url = configuration.url
        handle = try Self.connect(configuration, defaults: defaults)
        do {
            // Rows are decoded from bytea's hex form, whatever the database's default (PostgreSQL docs §8.4).
            try execute("SET bytea_output = 'hex'")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    static func connect(
        _ configuration: PostgresConfiguration, defaults: [(keyword: String, value: String)]
    ) throws(PostgresError) -> OpaquePointer {
        let parameters = configuration.connectionParameters(defaults: defaults)
        let keywords = parameters.map { strdup($0.keyword) }
        let values = parameters.map { strdup($0.value) }
        defer {
            for pointer in keywords { free(pointer) }
            for pointer in values { free(pointer) }
        }
        let keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let connection = PQconnectdbParams(keywordPointers, valuePointers, 0) else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = configuration.url.redact(String(cString: PQerrorMessage(connection)))
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: message)
        }
        // libpq prints NOTICEs to stderr by default (libpq docs §34.13); a driver has no business writing there.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        return connection
    }

    /// Closes the connection (`PQfinish`). Idempotent.
    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        cache.removeAll()
        staleStatements.removeAll()
    }

    private func open() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        return handle
    }

    /// Whether the connection can no longer be used (closed, or libpq saw it break).
    var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// Where the connection stands relative to a transaction block (libpq docs §34.2 `PQtransactionStatus`).
    var transactionStatus: PGTransactionStatusType {
        handle.map { PQtransactionStatus($0) } ?? PQTRANS_UNKNOWN
    }

    /// Reads whatever the server sent while the connection sat idle in the pool, without blocking, so a backend
    /// that was terminated or a server that went away is noticed before the connection is handed out
    /// (libpq docs §34.4 `PQconsumeInput`). Returns false when the connection is no longer usable.
    func isAliveAfterIdle() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return true }
        // Readable while idle: a FATAL error before the server closed, or the close itself.
        guard PQconsumeInput(handle) == 1 else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server process serving this connection (`pg_backend_pid()`), e.g. for `pg_terminate_backend`.
    public var backendProcessID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    /// Number of cached prepared statements (for tests and diagnostics).
    public var cachedStatementCount: Int { cache.count }

    /// Runs one or more SQL statements without parameters through the simple query protocol (migrations, `SET`,
    /// `LISTEN`, transaction control). Never put values into this SQL: use `run` or `query`.
    public func execute(_ sql: String) throws(PostgresError) {
        let connection = try open()
        PQclear(try check(PQexec(connection, sql), cacheKey: nil))
    }

    /// Runs one statement with bound arguments and returns the number of rows it changed (or returned).
    @discardableResult
    public func run(_ sql: String, _ args: PostgresBindable?...) throws(PostgresError) -> Int {
        let result = try perform(sql, args)
        defer { PQclear(result) }
        return PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
    }

    /// `run` with the arguments as an array.
    @discardableResult
    public func run(_ sql: String, arguments args: [PostgresBindable?]) throws(PostgresError) -> Int {
        let result = try perform(sql, args)
        defer { PQclear(result) }
        return PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
    }

    /// Runs one query with bound arguments and returns all rows.
    public func query(_ sql: String, _ args: PostgresBindable?...) throws(PostgresError) -> [PostgresRow] {
        let result = try perform(sql, args)
        defer { PQclear(result) }
        return ResultDecoder.rows(result)
    }

    /// `query` with the arguments as an array.
    public func query(_ sql: String, arguments args: [PostgresBindable?]) throws(PostgresError) -> [PostgresRow] {
        let result = try perform(sql, args)
        defer { PQclear(result) }
        return ResultDecoder.rows(result)
    }

    /// Runs one query with bound arguments and returns its first row, if any.
    public func queryOne(_ sql: String, _ args: PostgresBindable?...) throws(PostgresError) -> PostgresRow? {
        let result = try perform(sql, args)
        defer { PQclear(result) }
        return ResultDecoder.rows(result).first
    }

    /// Sends a notification with `pg_notify` (PostgreSQL docs, SQL command `NOTIFY`). Inside a transaction it is
    /// delivered when the transaction commits, and not at all if it rolls back.
    public func notify(channel: String, payload: String = "") throws(PostgresError) {
        PQclear(try perform("SELECT pg_notify($1, $2)", [channel, payload]))
    }

    /// Runs `body` inside a savepoint: if it throws, its statements are undone and the surrounding transaction
    /// carries on (PostgreSQL docs, SQL command `SAVEPOINT`). Without one, any failed statement aborts the whole
    /// transaction; this is how a store tries an `INSERT` and handles a unique violation in the same transaction.
    @discardableResult
    public func savepoint<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "fx_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body(self)
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            if !isBroken { try? execute("ROLLBACK TO SAVEPOINT \(name)") }
            throw error
        }
    }

    private func perform(_ sql: String, _ args: [PostgresBindable?]) throws(PostgresError) -> OpaquePointer {
        let connection = try open()
        try deallocateStaleStatements(connection)
        let parameters = try BoundParameters(args)
        let key = parameters.typeSignature + "\u{0}" + sql
        var statement = cache[key]
        if statement == nil { statement = try prepare(connection, sql, parameters, key: key) }
        if let statement, statement.parameterCount != parameters.count {
            // Without this check a missing argument is a protocol violation (08P01), which reads like a broken
            // connection; SQLite reports it as a plain misuse, and so do we.
            throw .invalidArgument("statement expects \(statement.parameterCount) arguments, got \(parameters.count)")
        }
        let name = statement?.name
        let result = try parameters.withUnsafeArrays { values, lengths, formats throws(PostgresError) in
            // Text results for every column (resultFormat 0); see ResultDecoder.
            if let name {
                return PQexecPrepared(connection, name, Int32(parameters.count), values, lengths, formats, 0)
            }
            return parameters.types.withUnsafeBufferPointer { types in
                PQexecParams(connection, sql, Int32(parameters.count), types.baseAddress, values, lengths, formats, 0)
            }
        }
        return try check(result, cacheKey: name == nil ? nil : key)
    }

    /// Prepares and caches a statement with its parameter count; nil once the cache is full.
    private func prepare(
        _ connection: OpaquePointer, _ sql: String, _ parameters: BoundParameters, key: String
    ) throws(PostgresError) -> PreparedStatement? {
        guard cache.count < Self.statementCacheLimit else { return nil }
        statementCounter += 1
        let name = "fx_\(statementCounter)"
        let prepared = parameters.types.withUnsafeBufferPointer { types in
            PQprepare(connection, name, sql, Int32(parameters.count), types.baseAddress)
        }
        PQclear(try check(prepared, cacheKey: nil))
        let description = try check(PQdescribePrepared(connection, name), cacheKey: nil)
        let statement = PreparedStatement(name: name, parameterCount: Int(PQnparams(description)))
        PQclear(description)
        cache[key] = statement
        return statement
    }

    /// `DEALLOCATE` for statements evicted earlier, once the connection is not in a failed transaction.
    private func deallocateStaleStatements(_ connection: OpaquePointer) throws(PostgresError) {
        guard !staleStatements.isEmpty, PQtransactionStatus(connection) != PQTRANS_INERROR else { return }
        let names = staleStatements
        staleStatements.removeAll()
        for name in names {
            PQclear(try check(PQexec(connection, "DEALLOCATE \(name)"), cacheKey: nil))
        }
    }

    /// Passes a successful result on; turns anything else into a `PostgresError` and frees the result.
    private func check(_ result: OpaquePointer?, cacheKey: String?) throws(PostgresError) -> OpaquePointer {
        guard let connection = handle else { throw PostgresError(kind: .connectionLost, message: "connection closed") }
        guard let result else {
            // libpq docs §34.3.1: a null result means out of memory or a failure to send the command.
            let error = PostgresError(
                kind: PQstatus(connection) == CONNECTION_BAD ? .connectionLost : .server,
                message: url.redact(String(cString: PQerrorMessage(connection))))
            throw error
        }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            let error = serverError(result, connection: connection)
            PQclear(result)
            if error.isSerializationFailure { sawRetryableFailure = true }
            if error.sqlState == .featureNotSupported, let cacheKey, let evicted = cache.removeValue(forKey: cacheKey) {
                // "cached plan must not change result type" after a schema change (PostgreSQL docs, SQL command
                // PREPARE, Notes): prepare again next time, and run the transaction again.
                staleStatements.append(evicted.name)
                sawRetryableFailure = true
            }
            throw error
        default:
            // COPY and other streaming states are not supported; the connection's protocol state is unknown.
            PQclear(result)
            close()
            throw .invalidArgument("COPY and other streaming commands are not supported")
        }
    }

    private func serverError(_ result: OpaquePointer, connection: OpaquePointer) -> PostgresError {
        // PG_DIAG_* are character-literal macros in postgres_ext.h, which Swift does not import.
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let sqlState = field("C")
        guard PQstatus(connection) == CONNECTION_OK else {
            // The server went away. Its FATAL message (57P01 "terminating connection due to administrator
            // command") or libpq's own ("server closed the connection unexpectedly") says why.
            let message = field("M") ?? url.redact(String(cString: PQresultErrorMessage(result)))
            return PostgresError(
                kind: .connectionLost, sqlState: sqlState.map(PostgresError.SQLState.init(code:)),
                message: PostgresError.oneLine(message))
        }
        guard sqlState != nil else {
            return PostgresError(
                kind: .server, message: url.redact(String(cString: PQresultErrorMessage(result))))
        }
        return PostgresError.server(
            sqlState: sqlState, primary: field("M"), constraint: field("n"), table: field("t"), column: field("c"))
    }
}

/// A statement prepared on one connection.
struct PreparedStatement {
    /// The server-side name, `fx_<n>`.
    let name: String
    /// How many parameters the server found in the SQL.
    let parameterCount: Int
}
