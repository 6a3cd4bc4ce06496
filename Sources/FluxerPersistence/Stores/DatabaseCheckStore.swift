import FluxerDomain

/// SQL for `fluxer-auth db check`. SQLite checks its file (every page, index and foreign key); PostgreSQL keeps
/// both consistent itself, so there the check is a round trip. Runs inside the caller's (read) transaction.
package enum DatabaseCheckStore: DatabaseCheckStorage {
    /// Problems `integrity_check` reports, at most this many (SQLite's own default is 100).
    package static let maxProblems = 100

    package static func integrityProblems(in db: SQLTransaction) throws -> [String] {
        switch db.dialect {
        case .sqlite:
            return try db.query("PRAGMA integrity_check(\(maxProblems))").compactMap { row -> String? in if case .text(let line) = row[0] { return line }; return nil }.filter { $0 != "ok" }
        case .postgres:
            _ = try db.queryOne("SELECT 1 AS one")
            return []
        }
    }

    package static func foreignKeyViolations(in db: SQLTransaction) throws -> [ForeignKeyViolation] {
        guard db.dialect == .sqlite else { return [] }
        return try db.query("PRAGMA foreign_key_check").map { row in
            ForeignKeyViolation(table: row.string("table") ?? "", rowID: row.int("rowid"), parent: row.string("parent") ?? "")
        }
    }
}
