/// Where a database stands relative to the migrations a binary knows.
public struct PostgresMigrationStatus: Sendable, Equatable {
    /// The highest applied version (0 when none).
    public let currentVersion: Int
    /// The highest version the binary knows (0 when none).
    public let latestKnownVersion: Int
    /// Known versions not yet applied, ascending.
    public let pending: [Int]

    /// Creates a status.
    public init(currentVersion: Int, latestKnownVersion: Int, pending: [Int]) {
        self.currentVersion = currentVersion
        self.latestKnownVersion = latestKnownVersion
        self.pending = pending
    }

    /// Nothing is pending and the database is not newer than the binary.
    public var isCurrent: Bool { pending.isEmpty && currentVersion <= latestKnownVersion }
}
