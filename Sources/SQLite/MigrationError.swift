/// Why migrations could not be loaded or applied. Each `description` is one line suitable for a
/// startup failure message.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The migrations directory could not be listed.
    case cannotReadDirectory(path: String, errno: Int32)
    /// A migration file could not be read.
    case cannotReadFile(path: String, errno: Int32)
    /// A `.sql` file whose name is not `NNNN_name.sql` (4+ digits, underscore, name).
    case badFileName(String)
    /// A migration file is not valid UTF-8.
    case notUTF8(file: String)
    /// Two migrations share a version.
    case duplicateVersion(Int)
    /// Versions must be 1, 2, 3, … without holes.
    case gap(expected: Int, found: Int)
    /// The database has a migration applied that this binary does not know.
    case databaseNewer(databaseVersion: Int, latestKnown: Int)
    /// An applied migration's recorded checksum differs from the migration's current SQL.
    case checksumMismatch(version: Int, name: String)
    /// A migration's SQL failed; its transaction was rolled back.
    case failed(version: Int, name: String, error: SQLiteError)

    /// One line describing the problem.
    public var description: String {
        switch self {
        case .cannotReadDirectory(let path, let errno):
            "cannot read migrations directory \(path) (errno \(errno))"
        case .cannotReadFile(let path, let errno):
            "cannot read migration file \(path) (errno \(errno))"
        case .badFileName(let name):
            "migration file \(name) is not named NNNN_name.sql"
        case .notUTF8(let file):
            "migration file \(file) is not valid UTF-8"
        case .duplicateVersion(let version):
            "two migrations have version \(version)"
        case .gap(let expected, let found):
            "migration versions have a gap: expected \(expected), found \(found)"
        case .databaseNewer(let databaseVersion, let latestKnown):
            "database schema version \(databaseVersion) is newer than this binary knows (\(latestKnown)); "
                + "refusing to start"
        case .checksumMismatch(let version, let name):
            "applied migration \(version) (\(name)) was edited after it was applied; checksum mismatch"
        case .failed(let version, let name, let error):
            "migration \(version) (\(name)) failed and was rolled back: \(error)"
        }
    }
}
