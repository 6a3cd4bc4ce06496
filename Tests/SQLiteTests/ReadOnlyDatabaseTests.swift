import Glibc
import SQLite
import Testing

@Suite struct ReadOnlyDatabaseTests {
    @Test func missingFile_isAnError_andStaysMissing() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/missing.sqlite"
            #expect(throws: SQLiteError.self) { _ = try ReadOnlyDatabase(path: path) }
            #expect(access(path, F_OK) != 0)
        }
    }

    @Test func notADatabase_isReportedAtOpen() throws {
        try withTempDirectory { dir throws in
            let path = dir + "/notes.txt"
            try writeFile(path, Array(String(repeating: "not a database ", count: 20).utf8))
            #expect(throws: DatabaseError.notADatabase(path: path)) { _ = try ReadOnlyDatabase(path: path) }
        }
    }

    @Test func read_seesOneSnapshot_whileTheWriterCommits() throws {
        try withTempDatabase { db, dir throws in
            try db.write { try $0.execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2)") }
            let reader = try ReadOnlyDatabase(path: db.path)
            defer { reader.close() }
            let (before, after) = try reader.read { snapshot in
                let before = try snapshot.query("SELECT count(*) AS n FROM t").first?.int("n")
                try db.write { try $0.run("INSERT INTO t VALUES (?)", 3) }
                return (before, try snapshot.query("SELECT count(*) AS n FROM t").first?.int("n"))
            }
            #expect(before == 2 && after == 2)
            #expect(try reader.read { try $0.query("SELECT count(*) AS n FROM t").first?.int("n") } == 3)
        }
    }

    @Test func forEachRow_streamsEveryRow_withBoundArguments() throws {
        try withTempDatabase { db, _ throws in
            try db.write { connection in
                try connection.execute("CREATE TABLE t (n INTEGER, b BLOB, s TEXT)")
                for n in 0..<1000 { try connection.run("INSERT INTO t VALUES (?, ?, ?)", n, [UInt8(n % 256)], nil as String?) }
            }
            let reader = try ReadOnlyDatabase(path: db.path)
            defer { reader.close() }
            var seen: [Int64] = []
            try reader.read { snapshot in
                try snapshot.forEachRow("SELECT n, b, s FROM t WHERE n >= ? ORDER BY n", [.integer(990)]) { row in
                    #expect(row.blob("b") == [UInt8(row.int("n")! % 256)] && row["s"] == .null)
                    seen.append(row.int("n") ?? -1)
                }
            }
            #expect(seen == Array(990..<1000))
        }
    }

    @Test func writes_areRefused() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (n INTEGER)") }
            let reader = try ReadOnlyDatabase(path: db.path)
            defer { reader.close() }
            #expect(throws: SQLiteError.self) { try reader.read { _ = try $0.query("INSERT INTO t VALUES (1)") } }
            #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM t")?.int("n") } == 0)
        }
    }
}
