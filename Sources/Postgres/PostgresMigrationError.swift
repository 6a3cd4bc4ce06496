/// Why migrations could not be applied. Each `description` is one line suitable for a startup failure message.
public enum PostgresMigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two migrations share a version.
    case duplicateVersion(Int)
    /// Versions must be 1, 2, 3, … without holes.
    case gap(expected: Int, found: Int)
    /// The database has a migration applied that this binary does not know.
    case databaseNewer(databaseVersion: Int, latestKnown: Int)
    /// An applied migration's recorded checksum differs from the migration's current SQL.
    case checksumMismatch(version: Int, name: String)
    /// A migration's SQL failed; its transaction was rolled back.
    case failed(version: Int, name: String, error: PostgresError)

    /// One line describing the problem.
    public var description: String {
        switch self {
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
