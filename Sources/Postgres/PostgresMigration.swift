internal import CFluxerShim

/// One schema migration for PostgreSQL: a version, a name and the SQL that applies it.
///
/// The SQL runs inside a transaction opened by `PostgresMigrator`, together with its bookkeeping row, so a
/// migration applies completely or not at all (PostgreSQL DDL is transactional). It must therefore not contain
/// `BEGIN`/`COMMIT`/`ROLLBACK`, nor statements that refuse to run in a transaction block (`CREATE INDEX
/// CONCURRENTLY`, `VACUUM`).
public struct PostgresMigration: Sendable, Equatable {
    /// The version; versions form the sequence 1, 2, 3, ….
    public let version: Int
    /// The descriptive name (the file name part after the underscore).
    public let name: String
    /// The SQL statements.
    public let sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Lowercase hex SHA-256 of the SQL's UTF-8 bytes (the same checksum the SQLite migrator records).
    public var checksum: String {
        var digest = [UInt8](repeating: 0, count: 32)
        var text = sql
        text.withUTF8 { buf in
            digest.withUnsafeMutableBufferPointer { out in
                _ = fx_sha256(buf.baseAddress, buf.count, out.baseAddress)
            }
        }
        let hex: [Character] = Array("0123456789abcdef")
        return String(digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] })
    }

    /// Checks that migrations sorted by version are exactly 1, 2, 3, ….
    static func validate(_ sorted: [PostgresMigration]) throws(PostgresMigrationError) {
        for (offset, migration) in sorted.enumerated() {
            if offset > 0 && sorted[offset - 1].version == migration.version {
                throw .duplicateVersion(migration.version)
            }
            guard migration.version == offset + 1 else {
                throw .gap(expected: offset + 1, found: migration.version)
            }
        }
    }
}
