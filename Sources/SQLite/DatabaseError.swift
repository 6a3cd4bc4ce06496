/// Failures of opening or using a `Database` that are not plain SQLite statement errors.
public enum DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `readerCount` must be at least 1.
    case invalidReaderCount(Int)
    /// The parent directory could not be created.
    case cannotCreateDirectory(path: String, errno: Int32)
    /// The database file could not be created.
    case cannotCreateFile(path: String, errno: Int32)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// `PRAGMA quick_check` reported damage (its first lines), or SQLite reported corruption.
    case corrupt(String)
    /// The database was closed.
    case closed
    /// An `fdatasync` of the write-ahead log failed: writes are refused from then on (see `LogSync`).
    case logSyncFailed(errno: Int32)

    /// One line suitable for a startup failure message.
    public var description: String {
        switch self {
        case .invalidReaderCount(let count):
            "database reader count must be at least 1 (got \(count))"
        case .cannotCreateDirectory(let path, let errno):
            "cannot create database directory \(path) (errno \(errno))"
        case .cannotCreateFile(let path, let errno):
            "cannot create database file \(path) (errno \(errno))"
        case .notADatabase(let path):
            "\(path) is not an SQLite database"
        case .corrupt(let detail):
            "database is corrupt: \(detail)"
        case .closed:
            "database is closed"
        case .logSyncFailed(let errno):
            "syncing the write-ahead log failed (errno \(errno)); writes are refused until the server restarts"
        }
    }
}
