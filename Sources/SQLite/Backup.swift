internal import CFluxerShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `Database.backup` wrote.
public struct BackupSummary: Sendable, Equatable {
    /// The backup file.
    public let path: String
    /// Its size in bytes.
    public let bytes: Int64
    /// Database pages copied.
    public let pages: Int
}

/// Why a backup was not written; the destination is then left as it was.
public enum BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The destination exists and replacing it was not asked for.
    case exists(path: String)
    /// A file next to the destination could not be created, written or renamed.
    case file(path: String, errno: Int32)
    /// SQLite's backup failed.
    case sqlite(SQLiteError)
    /// The copy failed `PRAGMA integrity_check` (its first lines).
    case verification(String)

    /// One line for the operator.
    public var description: String {
        switch self {
        case .exists(let path): "\(path) exists (give --force to replace it)"
        case .file(let path, let errno): "cannot write \(path): \(String(cString: strerror(errno)))"
        case .sqlite(let error): "backup failed: \(error)"
        case .verification(let detail): "the copy failed its integrity check: \(detail)"
        }
    }
}

extension Database {
    /// How long one backup waits, in total, for a source or destination lock before giving up.
    static let backupBusyLimitMilliseconds = 30_000

    /// Copies the database into `path` with SQLite's online backup API (sqlite.org/backup.html): a consistent
    /// snapshot taken on a connection of its own, while this process and others keep reading and writing (WAL).
    ///
    /// The copy is written to a private (0600) temporary file beside `path`, switched to rollback-journal mode so it
    /// is one self-contained file, checked with `PRAGMA integrity_check`, synced, and only then moved to `path`:
    /// `path` never holds a partial or unverified backup. An existing `path` is replaced only when `replacing`.
    public func backup(to path: String, replacing: Bool) throws(BackupError) -> BackupSummary {
        var st = stat()
        if !replacing && stat(path, &st) == 0 { throw .exists(path: path) }
        let temporary = path + ".partial-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .file(path: temporary, errno: errno) }
        Glibc.close(fd)
        var placed = false
        defer { if !placed { unlink(temporary) } }

        let pages = try copy(into: temporary)
        try Self.verify(temporary)
        try Self.sync(temporary)
        if replacing {
            guard rename(temporary, path) == 0 else { throw .file(path: path, errno: errno) }
        } else {
            // link(2) fails when `path` appeared meanwhile: never replaces what was not asked to be replaced.
            guard link(temporary, path) == 0 else { throw errno == EEXIST ? .exists(path: path) : .file(path: path, errno: errno) }
            unlink(temporary)
        }
        placed = true
        FileSystem.syncDirectory(of: path)
        guard stat(path, &st) == 0 else { throw .file(path: path, errno: errno) }
        return BackupSummary(path: path, bytes: Int64(st.st_size), pages: pages)
    }

    /// Runs the backup from a fresh read-only connection into `destination`; returns the pages copied.
    private func copy(into destination: String) throws(BackupError) -> Int {
        do {
            let source = try Connection(path: path, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, busyTimeoutMilliseconds: 5000)
            defer { source.close() }
            let target = try Connection(path: destination, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, busyTimeoutMilliseconds: 5000)
            defer { target.close() }
            let targetHandle = try target.rawHandle()
            guard let backup = sqlite3_backup_init(targetHandle, "main", try source.rawHandle(), "main") else {
                throw SQLiteError.from(targetHandle)
            }
            var waited = 0
            var rc: Int32
            repeat {
                // -1: every page in one step, so the copy is one snapshot of the source.
                rc = sqlite3_backup_step(backup, -1)
                if rc == SQLITE_BUSY || rc == SQLITE_LOCKED {
                    guard waited < Self.backupBusyLimitMilliseconds else { break }
                    usleep(50_000)
                    waited += 50
                }
            } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
            let pages = Int(sqlite3_backup_pagecount(backup))
            let finished = sqlite3_backup_finish(backup)
            guard rc == SQLITE_DONE, finished == SQLITE_OK else { throw SQLiteError.code(rc == SQLITE_DONE ? finished : rc) }
            // The copy carries the source's WAL mode in its header; a backup is one file.
            try target.execute("PRAGMA journal_mode=DELETE")
            return pages
        } catch let error as SQLiteError {
            throw .sqlite(error)
        } catch {
            throw .sqlite(.code(SQLITE_ERROR))
        }
    }

    /// Opens the copy read-only and runs `PRAGMA integrity_check` on it.
    private static func verify(_ path: String) throws(BackupError) {
        let lines: [String]
        do {
            let copy = try ReadOnlyDatabase(path: path)
            defer { copy.close() }
            lines = try copy.read { try $0.query("PRAGMA integrity_check") }.compactMap { $0[0].textValue }
        } catch let error as SQLiteError {
            throw .sqlite(error)
        } catch {
            throw .verification("\(error)")
        }
        guard lines == ["ok"] else { throw .verification(lines.prefix(3).joined(separator: "; ")) }
    }

    private static func sync(_ path: String) throws(BackupError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(path: path, errno: errno) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw .file(path: path, errno: errno) }
    }
}
