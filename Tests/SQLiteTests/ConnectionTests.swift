import SQLite
import Testing

@Suite struct ConnectionTests {
    @Test func statementCacheReusesOneStatement() throws {
        try withTempDatabase { db, _ throws in
            try db.write { c throws in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
                let before = c.cachedStatementCount
                for i in 0..<200 {
                    let changed = try c.run("INSERT INTO t (id, v) VALUES (?, ?)", i, "v\(i)")
                    #expect(changed == 1)
                    #expect(c.lastInsertRowID == Int64(i))
                }
                #expect(c.cachedStatementCount == before + 1)
            }
            try db.read { c throws in
                for i in [0, 57, 199] {
                    #expect(try c.queryOne("SELECT v FROM t WHERE id = ?", i)?.string("v") == "v\(i)")
                }
                #expect(try c.queryOne("SELECT v FROM t WHERE id = ?", 1000) == nil)
                #expect(try c.query("SELECT id FROM t WHERE id < ? ORDER BY id", 3).map { $0.int("id") } == [0, 1, 2])
            }
        }
    }

    @Test func runReturnsChangesCount() throws {
        try withTempDatabase { db, _ throws in
            let changed = try db.write { c throws in
                try c.execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3);")
                return try c.run("UPDATE t SET v = v + 1 WHERE v >= ?", 2)
            }
            #expect(changed == 2)
        }
    }

    @Test func statementReusableAfterError() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v INTEGER NOT NULL)") }
            #expect(throws: SQLiteError.self) {
                try db.write { try $0.run("INSERT INTO t VALUES (?)", nil) }
            }
            try db.write { try $0.run("INSERT INTO t VALUES (?)", 5) }
            #expect(try count(db, "t") == 1)
        }
    }

    @Test func wrongArgumentCountIsRangeError() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (a, b)") }
            let tooFew = #expect(throws: SQLiteError.self) {
                try db.write { try $0.run("INSERT INTO t VALUES (?, ?)", 1) }
            }
            #expect(tooFew?.code == 25)  // SQLITE_RANGE
            let tooMany = #expect(throws: SQLiteError.self) {
                try db.read { try $0.query("SELECT a FROM t WHERE a = ?", 1, 2) }
            }
            #expect(tooMany?.code == 25)
        }
    }

    @Test(arguments: ["SELECT 1; SELECT 2", "", "   ", "-- only a comment"])
    func runRejectsZeroOrSeveralStatements(sql: String) throws {
        try withTempDatabase { db, _ throws in
            let thrown = #expect(throws: SQLiteError.self) {
                try db.read { try $0.query(sql) }
            }
            #expect(thrown?.code == 21)  // SQLITE_MISUSE
        }
    }

    @Test func trailingSemicolonIsAllowed() throws {
        try withTempDatabase { db, _ throws in
            #expect(try db.read { try $0.queryOne("SELECT 1 AS one;  \n")?.int("one") } == 1)
        }
    }

    @Test func executeReportsErrors() throws {
        try withTempDatabase { db, _ throws in
            #expect(throws: SQLiteError.self) {
                try db.write { try $0.execute("CREATE TABLE x (a); CREATE TABLE x (a);") }
            }
        }
    }

    @Test func readersAreReadOnly() throws {
        try withTempDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v)") }
            let thrown = #expect(throws: SQLiteError.self) {
                try db.read { try $0.run("INSERT INTO t VALUES (?)", 1) }
            }
            #expect(thrown?.code == 8)  // SQLITE_READONLY
            #expect(try count(db, "t") == 0)
        }
    }
}
