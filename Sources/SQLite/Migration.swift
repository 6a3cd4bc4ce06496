internal import CFluxerShim

/// One schema migration: a version, a name and the SQL that applies it.
///
/// The SQL runs inside a transaction opened by `Migrator`, so it must not contain
/// `BEGIN`/`COMMIT`/`ROLLBACK` itself.
public struct Migration: Sendable, Equatable {
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

    /// Lowercase hex SHA-256 of the SQL's UTF-8 bytes.
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

    /// Loads every `NNNN_name.sql` file of a directory, sorted by version. Other files are ignored.
    ///
    /// - Throws: `MigrationError` for an unreadable directory or file, a badly named `.sql` file,
    ///   invalid UTF-8, a duplicate version, or a gap in 1, 2, 3, ….
    public static func load(directory: String) throws(MigrationError) -> [Migration] {
        let names: [String]
        do {
            names = try FileSystem.listDirectory(directory)
        } catch {
            throw .cannotReadDirectory(path: directory, errno: error.errno)
        }
        var migrations: [Migration] = []
        for file in names.sorted() where file.hasSuffix(".sql") {
            guard let (version, name) = parseFileName(file) else { throw .badFileName(file) }
            let path = directory.hasSuffix("/") ? directory + file : directory + "/" + file
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readFile(path)
            } catch {
                throw .cannotReadFile(path: path, errno: error.errno)
            }
            guard let sql = String(validating: bytes, as: UTF8.self) else { throw .notUTF8(file: file) }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        try validate(migrations)
        return migrations
    }

    /// Splits `NNNN_name.sql` into version and name; nil if the name does not have that shape.
    /// The name may contain letters, digits, `_` and `-`.
    static func parseFileName(_ file: String) -> (Int, String)? {
        guard file.hasSuffix(".sql") else { return nil }
        let stem = file.utf8.dropLast(4)
        let digits = stem.prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard digits.count >= 4, stem.dropFirst(digits.count).first == 0x5F else { return nil }
        let name = stem.dropFirst(digits.count + 1)
        let allowed = name.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == 0x5F || $0 == 0x2D
        }
        guard !name.isEmpty, allowed, let version = Int(String(decoding: digits, as: UTF8.self)) else {
            return nil
        }
        return (version, String(decoding: name, as: UTF8.self))
    }

    /// Checks that migrations sorted by version are exactly 1, 2, 3, ….
    static func validate(_ sorted: [Migration]) throws(MigrationError) {
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
