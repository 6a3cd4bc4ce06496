import Postgres
import SQLite

/// The SQL dialect a transaction speaks. The stores write one statement for both wherever the two agree (most
/// of them: `?` placeholders, `ON CONFLICT`, `RETURNING`, `TRUE`/`FALSE`); the few that differ branch on this.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

/// One open transaction on either backend, handed to a `DataStore.read`/`write` closure. Not `Sendable`: it
/// belongs to the thread running the closure.
///
/// Statements use `?` placeholders; on PostgreSQL they are numbered (`$1`, `$2` …) before they are sent.
public final class SQLTransaction {
    enum Handle {
        case sqlite(Connection)
        case postgres(PostgresConnection)
    }

    let handle: Handle
    private var savepointDepth = 0

    init(_ handle: Handle) {
        self.handle = handle
    }

    /// The dialect of the backend running this transaction.
    public var dialect: SQLDialect {
        switch handle {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Runs statements without parameters (DDL, `PRAGMA`). Never put values into this SQL.
    public func execute(_ sql: String) throws {
        switch handle {
        case .sqlite(let connection): try connection.execute(sql)
        case .postgres(let connection): try connection.execute(sql)
        }
    }

    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ args: (any SQLBindable)?...) throws -> Int {
        try run(sql, arguments: args)
    }

    /// `run` with the arguments as an array (statements built at run time).
    @discardableResult
    public func run(_ sql: String, arguments args: [(any SQLBindable)?]) throws -> Int {
        switch handle {
        case .sqlite(let connection):
            return try connection.run(sql, arguments: args.map { ($0?.sqlValue ?? .null) as SQLiteBindable? })
        case .postgres(let connection):
            return try connection.run(PostgresPlaceholders.number(sql), arguments: args.map { ($0?.sqlValue ?? .null) as PostgresBindable? })
        }
    }

    /// Runs one query and returns every row.
    public func query(_ sql: String, _ args: (any SQLBindable)?...) throws -> [SQLRow] {
        try query(sql, arguments: args)
    }

    /// `query` with the arguments as an array.
    public func query(_ sql: String, arguments args: [(any SQLBindable)?]) throws -> [SQLRow] {
        switch handle {
        case .sqlite(let connection):
            return try connection.query(sql, arguments: args.map { ($0?.sqlValue ?? .null) as SQLiteBindable? }).map(SQLRow.init)
        case .postgres(let connection):
            return try connection.query(PostgresPlaceholders.number(sql), arguments: args.map { ($0?.sqlValue ?? .null) as PostgresBindable? })
                .map(SQLRow.init)
        }
    }

    /// Runs one query and returns its first row, if any.
    public func queryOne(_ sql: String, _ args: (any SQLBindable)?...) throws -> SQLRow? {
        try query(sql, arguments: args).first
    }

    /// Runs `body` inside a savepoint: when it throws, only its own statements are undone and the transaction
    /// carries on. PostgreSQL aborts a whole transaction on any failed statement, so a store that tries a
    /// statement and handles its failure must wrap it in one (SQLite docs "SAVEPOINT"; PostgreSQL docs,
    /// SQL command `SAVEPOINT`).
    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "fx_store_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body()
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            try? execute("ROLLBACK TO SAVEPOINT \(name)")
            try? execute("RELEASE SAVEPOINT \(name)")
            throw error
        }
    }

    /// Sends a notification to every listener when (and only if) this transaction commits (PostgreSQL docs,
    /// SQL command `NOTIFY`: notifications are delivered at commit, dropped on rollback). SQLite has one process
    /// per database file, so there is nobody to tell: a no-op.
    public func notify(channel: String, payload: String) throws {
        guard case .postgres(let connection) = handle else { return }
        try connection.notify(channel: channel, payload: payload)
    }
}
