internal import CFluxerShim

/// An error reported by SQLite. The message comes from `sqlite3_errmsg` (or a fixed text from this
/// module) and never contains bound argument values.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, ...).
    public let code: Int32
    /// The extended result code (`SQLITE_IOERR_FSYNC`, ...); equals `code` when there is none.
    public let extendedCode: Int32
    /// SQLite's English description of the error.
    public let message: String

    /// Creates an error from its parts.
    public init(code: Int32, extendedCode: Int32, message: String) {
        self.code = code
        self.extendedCode = extendedCode
        self.message = message
    }

    /// The database is locked by another connection (`SQLITE_BUSY`).
    public var isBusy: Bool { code == SQLITE_BUSY }
    /// The disk or the configured page limit is full (`SQLITE_FULL`).
    public var isFull: Bool { code == SQLITE_FULL }
    /// An operating-system I/O error (`SQLITE_IOERR`).
    public var isIOError: Bool { code == SQLITE_IOERR }
    /// A constraint (unique, foreign key, not null, check) was violated (`SQLITE_CONSTRAINT`).
    public var isConstraint: Bool { code == SQLITE_CONSTRAINT }
    /// A transient or environmental failure the application should answer with 503:
    /// busy, locked, full, I/O error, out of memory, cannot open, read-only.
    public var isUnavailable: Bool {
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_CANTOPEN,
            SQLITE_READONLY:
            true
        default:
            false
        }
    }

    /// One line: codes and SQLite's message.
    public var description: String {
        "SQLite error \(code) (extended \(extendedCode)): \(message)"
    }

    /// The current error of a connection handle.
    static func from(_ db: OpaquePointer?) -> SQLiteError {
        guard let db else {
            return SQLiteError(code: SQLITE_NOMEM, extendedCode: SQLITE_NOMEM, message: "out of memory")
        }
        return SQLiteError(
            code: sqlite3_errcode(db) & 0xFF,
            extendedCode: sqlite3_extended_errcode(db),
            message: String(cString: sqlite3_errmsg(db))
        )
    }

    /// An error for a result code, with SQLite's generic text for it.
    static func code(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc & 0xFF, extendedCode: rc, message: String(cString: sqlite3_errstr(rc)))
    }

    /// A misuse of this module's API, reported with a fixed message.
    static func misuse(_ message: String) -> SQLiteError {
        SQLiteError(code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE, message: message)
    }
}
