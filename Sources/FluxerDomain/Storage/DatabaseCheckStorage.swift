/// The checks of `fluxer-auth db check`: the contract `DatabaseCheckStore` (FluxerPersistence) fulfils. On SQLite
/// they are the file's own checks; PostgreSQL keeps its pages and foreign keys consistent itself, so there a check
/// is a round trip that proves the server answers.
package protocol DatabaseCheckStorage: Sendable {
    associatedtype Transaction: StoreTransaction

    /// What the integrity check reports other than "ok" (SQLite `PRAGMA integrity_check`); empty when sound.
    static func integrityProblems(in db: Transaction) throws -> [String]
    /// Rows whose parent is missing (SQLite `PRAGMA foreign_key_check`); empty when sound.
    static func foreignKeyViolations(in db: Transaction) throws -> [ForeignKeyViolation]
}

/// A row that references a missing parent.
package struct ForeignKeyViolation: Sendable, Equatable {
    package var table: String
    package var rowID: Int64?
    package var parent: String

    /// The memberwise initializer, visible to the other targets of the package.
    package init(table: String, rowID: Int64?, parent: String) {
        self.table = table
        self.rowID = rowID
        self.parent = parent
    }
}
