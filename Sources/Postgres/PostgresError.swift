/// An error of this module: a bad URL, a connection that could not be made or was lost, a pool with no free
/// connection, or an error the server reported (with its SQLSTATE).
///
/// The text never holds a password or a bound argument: server messages are kept only where PostgreSQL does
/// not put values in them (see `PostgresError.server(_:)`), and connection messages have the password cut out.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, coarsely; stores branch on `sqlState` for server errors.
    public enum Kind: Sendable, Equatable {
        /// The connection URL was refused before any connection was tried.
        case invalidURL
        /// A connection could not be opened (refused, timed out, authentication failed, too many clients).
        case connectionFailed
        /// The connection broke while in use. If it broke during `COMMIT`, the outcome is unknown.
        case connectionLost
        /// No pooled connection became free within the checkout timeout.
        case unavailable
        /// The server reported an error; `sqlState` says which.
        case server
        /// A value the protocol cannot carry (text with NUL), or a misuse of this module's API.
        case invalidArgument
        /// The database was closed.
        case closed
    }

    /// What went wrong.
    public let kind: Kind
    /// The five-character SQLSTATE for `.server` errors (PostgreSQL docs, Appendix A), else nil.
    public let sqlState: SQLState?
    /// One line describing the error, free of passwords and bound arguments.
    public let message: String
    /// The constraint a server error names (`PG_DIAG_CONSTRAINT_NAME`), e.g. `users_email_key`.
    public let constraintName: String?
    /// The table a server error names (`PG_DIAG_TABLE_NAME`).
    public let tableName: String?
    /// The column a server error names (`PG_DIAG_COLUMN_NAME`).
    public let columnName: String?

    /// Creates an error from its parts.
    public init(
        kind: Kind, sqlState: SQLState? = nil, message: String, constraintName: String? = nil,
        tableName: String? = nil, columnName: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.constraintName = constraintName
        self.tableName = tableName
        self.columnName = columnName
    }

    /// A unique constraint was violated (23505).
    public var isUniqueViolation: Bool { sqlState == .uniqueViolation }
    /// A foreign key constraint was violated (23503).
    public var isForeignKeyViolation: Bool { sqlState == .foreignKeyViolation }
    /// Any integrity constraint was violated (SQLSTATE class 23).
    public var isConstraintViolation: Bool { sqlState?.errorClass == "23" }
    /// The transaction lost a serialization conflict (40001) or a deadlock (40P01); running it again may succeed.
    /// `PostgresDatabase.write` already retries these a bounded number of times.
    public var isSerializationFailure: Bool { sqlState == .serializationFailure || sqlState == .deadlockDetected }

    /// A transient or environmental failure the application should answer with 503 and `Retry-After`: no
    /// connection (failed, lost, pool exhausted), the server shutting down or out of resources (classes 08, 53,
    /// 57P01–57P03, 58), a statement or lock timeout (57014, 55P03), or a conflict that outlived its retries.
    public var isUnavailable: Bool {
        switch kind {
        case .connectionFailed, .connectionLost, .unavailable, .closed:
            return true
        case .invalidURL, .invalidArgument:
            return false
        case .server:
            guard let sqlState else { return false }
            switch sqlState.errorClass {
            case "08", "53", "58": return true
            default: break
            }
            return isSerializationFailure
                || [.adminShutdown, .crashShutdown, .cannotConnectNow, .queryCanceled, .lockNotAvailable]
                    .contains(sqlState)
        }
    }

    /// One line: the kind, the SQLSTATE when there is one, and the message.
    public var description: String {
        let label: String = switch kind {
        case .invalidURL: "invalid PostgreSQL URL"
        case .connectionFailed: "cannot connect to PostgreSQL"
        case .connectionLost: "PostgreSQL connection lost"
        case .unavailable: "PostgreSQL unavailable"
        case .server: "PostgreSQL error"
        case .invalidArgument: "PostgreSQL driver misuse"
        case .closed: "PostgreSQL database closed"
        }
        if let sqlState { return "\(label) \(sqlState.code): \(message)" }
        return "\(label): \(message)"
    }
}

extension PostgresError {
    static func invalidURL(_ reason: String) -> PostgresError {
        PostgresError(kind: .invalidURL, message: reason)
    }

    static func invalidArgument(_ reason: String) -> PostgresError {
        PostgresError(kind: .invalidArgument, message: reason)
    }

    static let closed = PostgresError(kind: .closed, message: "the database was closed")

    /// A server error, built from a failed result's fields (libpq docs §34.3.1 `PQresultErrorField`).
    ///
    /// The primary message is kept except for SQLSTATE class 22 (data exception), whose messages quote the
    /// offending input (`invalid input syntax for type integer: "…"`). DETAIL, HINT and CONTEXT are never read:
    /// DETAIL repeats key values (`Key (email)=(…) already exists.`) and CONTEXT can show PL/pgSQL variables.
    static func server(
        sqlState: String?, primary: String?, constraint: String?, table: String?, column: String?
    ) -> PostgresError {
        let state = sqlState.map(SQLState.init(code:))
        var message = primary.map(oneLine) ?? "server error"
        if state?.errorClass == "22" { message = "data exception (input values are not shown)" }
        return PostgresError(
            kind: .server, sqlState: state, message: message, constraintName: constraint, tableName: table,
            columnName: column)
    }

    /// Joins a multi-line libpq message into one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
