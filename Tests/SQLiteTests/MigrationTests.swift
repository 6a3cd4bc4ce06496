import SQLite
import Testing

@Suite struct MigrationTests {
    @Test func checksumIsLowercaseHexSHA256() {
        #expect(Migration(version: 1, name: "a", sql: "").checksum
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Migration(version: 1, name: "a", sql: "abc").checksum
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func loadsSortedAndIgnoresOtherFiles() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0002_add_users.sql", "CREATE TABLE users (id INTEGER);")
            try writeFile(dir + "/0001_init.sql", "CREATE TABLE a (id INTEGER);")
            try writeFile(dir + "/00010_x.txt", "ignored")
            try writeFile(dir + "/README.md", "ignored")
            let migrations = try Migration.load(directory: dir)
            #expect(migrations.map(\.version) == [1, 2])
            #expect(migrations.map(\.name) == ["init", "add_users"])
            #expect(migrations[1].sql == "CREATE TABLE users (id INTEGER);")
        }
    }

    @Test func acceptsLongVersionsAndHyphens() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/00001_first-one.sql", "SELECT 1;")
            let migrations = try Migration.load(directory: dir)
            #expect(migrations == [Migration(version: 1, name: "first-one", sql: "SELECT 1;")])
        }
    }

    @Test func emptyDirectoryLoadsNothing() throws {
        try withTempDirectory { dir throws in
            #expect(try Migration.load(directory: dir).isEmpty)
        }
    }

    @Test func gapIsRejected() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0001_a.sql", "")
            try writeFile(dir + "/0003_c.sql", "")
            #expect(throws: MigrationError.gap(expected: 2, found: 3)) { try Migration.load(directory: dir) }
        }
    }

    @Test func mustStartAtOne() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0002_b.sql", "")
            #expect(throws: MigrationError.gap(expected: 1, found: 2)) { try Migration.load(directory: dir) }
        }
    }

    @Test func versionZeroIsRejected() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0000_zero.sql", "")
            #expect(throws: MigrationError.gap(expected: 1, found: 0)) { try Migration.load(directory: dir) }
        }
    }

    @Test func duplicateIsRejected() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0001_a.sql", "")
            try writeFile(dir + "/0001_b.sql", "")
            #expect(throws: MigrationError.duplicateVersion(1)) { try Migration.load(directory: dir) }
        }
    }

    @Test(arguments: [
        "1_init.sql", "001_init.sql", "0001init.sql", "0001_.sql", "abcd_init.sql", "0001_in it.sql",
        "0001_init.SQL.sql", ".sql", "0001-init.sql", "0001_init.sql.sql", "99999999999999999999_big.sql",
    ])
    func badlyNamedFileIsRejected(file: String) throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0001_ok.sql", "")
            try writeFile(dir + "/" + file, "")
            #expect(throws: MigrationError.badFileName(file)) { try Migration.load(directory: dir) }
        }
    }

    @Test func missingDirectoryIsRejected() throws {
        try withTempDirectory { dir throws in
            let thrown = #expect(throws: MigrationError.self) { try Migration.load(directory: dir + "/nope") }
            #expect(thrown == .cannotReadDirectory(path: dir + "/nope", errno: 2))
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0001_bad.sql", [0x53, 0xFF, 0xFE, 0x00])
            #expect(throws: MigrationError.notUTF8(file: "0001_bad.sql")) { try Migration.load(directory: dir) }
        }
    }

    @Test func unreadableFileIsRejected() throws {
        try withTempDirectory { dir throws in
            try writeFile(dir + "/0001_a.sql", "")
            // A directory with a migration name cannot be read as a file.
            let path = dir + "/0002_b.sql"
            #expect(mkdirForTest(path))
            let thrown = #expect(throws: MigrationError.self) { try Migration.load(directory: dir) }
            if case .cannotReadFile(let failed, _) = thrown {
                #expect(failed == path)
            } else {
                Issue.record("expected cannotReadFile, got \(String(describing: thrown))")
            }
        }
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [MigrationError] = [
            .cannotReadDirectory(path: "/m", errno: 2), .cannotReadFile(path: "/m/0001_a.sql", errno: 13),
            .badFileName("x.sql"), .notUTF8(file: "0001_a.sql"), .duplicateVersion(1),
            .gap(expected: 2, found: 3), .databaseNewer(databaseVersion: 5, latestKnown: 4),
            .checksumMismatch(version: 1, name: "init"),
            .failed(version: 2, name: "b", error: SQLiteError(code: 1, extendedCode: 1, message: "syntax error")),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
    }
}
