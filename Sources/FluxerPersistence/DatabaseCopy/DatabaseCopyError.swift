import FluxerDomain
/// Why `fluxer-auth db copy` stopped. In every case the target holds none of the source's rows: refusals come
/// before the copy transaction, failures roll it back; only `.verificationFailed` is found after the commit.
///
/// Descriptions are one line, name the table and column where one is at fault, and never hold a stored value
/// or the target's password (`PostgresURL.description` leaves it out).
public enum DatabaseCopyError: Error, Equatable, CustomStringConvertible {
    /// `--from` is neither `sqlite:PATH` nor a path.
    case invalidSource(reason: String)
    /// No file at the source path; none is created.
    case sourceMissing(path: String)
    /// The source could not be opened or read as a fluxer-auth SQLite database.
    case sourceUnreadable(path: String, reason: String)
    /// The source's schema is not the latest SQLite schema this binary knows (older, or newer).
    case sourceVersion(path: String, version: Int, latest: Int)
    /// A migration applied to the source differs from this binary's copy of it.
    case sourceEdited(path: String, version: Int)
    /// A process holds a snowflake worker-id lease on the source, so it may still be writing: rows written after
    /// the snapshot would be lost.
    case sourceInUse(path: String, workerID: Int64, pid: Int64?, hostname: String?)
    /// `--to` is not a PostgreSQL URL this binary accepts.
    case invalidTarget(reason: String)
    /// The target could not be reached or refused the login.
    case targetUnreachable(target: String, reason: String)
    /// A table of the target already holds rows (for `worker_leases`: a lease was taken, so the target was used).
    case targetNotEmpty(target: String, table: String)
    /// Source and target disagree on a table or column, or a target column has a type the copy does not convert.
    case schemaMismatch(String)
    /// A stored value does not fit the target column's type.
    case unconvertible(table: String, column: String, reason: String)
    /// A database failed during the copy; the target transaction was rolled back.
    case failed(String)
    /// After the commit, the target's row count of a table differs from the source's.
    case verificationFailed(table: String, source: Int64, target: Int64)

    /// One line for the operator.
    public var description: String {
        switch self {
        case .invalidSource(let reason):
            "--from: \(reason)"
        case .sourceMissing(let path):
            "source \(path): no such file (nothing was created)"
        case .sourceUnreadable(let path, let reason):
            "source \(path): \(reason)"
        case .sourceVersion(let path, let version, let latest) where version < latest:
            "source \(path): SQLite schema version \(version), but this binary's latest is \(latest): "
                + "run `fluxer-auth migrate --database \(path)` first"
        case .sourceVersion(let path, let version, let latest):
            "source \(path): SQLite schema version \(version) is newer than this binary's (\(latest)): "
                + "copy with the fluxer-auth that wrote it"
        case .sourceEdited(let path, let version):
            "source \(path): migration \(version) as applied differs from this binary's; refusing to copy"
        case .sourceInUse(let path, let workerID, let pid, let hostname):
            "source \(path): snowflake worker id \(workerID) is leased by a live process"
                + (pid.map { " (pid \($0)\(hostname.map { " on \($0)" } ?? ""))" } ?? "")
                + ": stop every fluxer-auth process using it first (a crashed one's lease ends within a minute)"
        case .invalidTarget(let reason):
            "--to: \(reason)"
        case .targetUnreachable(let target, let reason):
            "target \(target): \(reason)"
        case .targetNotEmpty(let target, let table) where table == "worker_leases":
            "target \(target): table worker_leases has leases taken (the database was used); "
                + "copy only into a database no fluxer-auth has used"
        case .targetNotEmpty(let target, let table):
            "target \(target): table \(table) already holds rows; copy only into an empty database"
        case .schemaMismatch(let reason):
            "schema: \(reason)"
        case .unconvertible(let table, let column, let reason):
            "\(table).\(column): \(reason); nothing was copied"
        case .failed(let reason):
            "\(reason); nothing was copied"
        case .verificationFailed(let table, let source, let target):
            "verification: table \(table) has \(source) rows in the source but \(target) in the target after the copy"
        }
    }

    /// The process exit status: 2 for a refusal before anything was written (bad arguments, a source or target
    /// in the wrong state), 1 for a failure.
    public var exitCode: Int32 {
        switch self {
        case .invalidSource, .sourceMissing, .sourceUnreadable, .sourceVersion, .sourceEdited, .sourceInUse,
             .invalidTarget, .targetUnreachable, .targetNotEmpty:
            2
        case .schemaMismatch, .unconvertible, .failed, .verificationFailed:
            1
        }
    }
}
