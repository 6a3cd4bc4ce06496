import Glibc
import SQLite
import Testing

/// `Database.backup`: a consistent, verified, self-contained copy made while the database is open, that never
/// replaces an existing file unless asked and never leaves a partial one behind.
@Suite struct BackupTests {
    static func files(_ dir: String) -> [String] {
        guard let handle = opendir(dir) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    @Test func backup_copiesEveryRow_intoOneRollbackJournalFile_mode0600() throws {
        try withTempDatabase { db, dir throws in
            try db.write { try $0.execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3)") }
            let path = dir + "/copy.sqlite"
            let summary = try db.backup(to: path, replacing: false)
            #expect(summary.path == path && summary.pages > 0 && summary.bytes > 0)
            #expect(permissions(path) == 0o600)
            let copy = try ReadOnlyDatabase(path: path)
            defer { copy.close() }
            let (count, mode) = try copy.read { snapshot in
                (try snapshot.query("SELECT count(*) AS n FROM t").first?.int("n"),
                 try snapshot.query("PRAGMA journal_mode").first?.string("journal_mode"))
            }
            #expect(count == 3 && mode == "delete")
            // The source is untouched and still writable.
            try db.write { try $0.run("INSERT INTO t VALUES (?)", 4) }
            #expect(Self.files(dir).filter { $0.hasPrefix("copy.sqlite") } == ["copy.sqlite"])
        }
    }

    @Test func backup_neverReplacesAFileUnlessAsked() throws {
        try withTempDatabase { db, dir throws in
            try db.write { try $0.execute("CREATE TABLE t (n INTEGER)") }
            let path = dir + "/taken"
            try writeFile(path, "keep me")
            #expect(throws: BackupError.exists(path: path)) { _ = try db.backup(to: path, replacing: false) }
            #expect(try Self.readFile(path) == "keep me")
            #expect(Self.files(dir).filter { $0.contains(".partial-") }.isEmpty)
            _ = try db.backup(to: path, replacing: true)
            let copy = try ReadOnlyDatabase(path: path)
            copy.close()
        }
    }

    @Test func backup_intoAMissingDirectory_fails_andLeavesNothing() throws {
        try withTempDatabase { db, dir throws in
            let path = dir + "/no/such/dir/copy.sqlite"
            #expect(throws: BackupError.self) { _ = try db.backup(to: path, replacing: false) }
            #expect(access(path, F_OK) != 0)
        }
    }

    static func readFile(_ path: String) throws -> String {
        guard let file = fopen(path, "rb") else { throw TestFailure.system(errno) }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = fread(&buffer, 1, buffer.count, file)
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}
