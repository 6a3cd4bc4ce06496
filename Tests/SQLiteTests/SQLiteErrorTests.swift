import SQLite
import Testing

@Suite struct SQLiteErrorTests {
    // Primary result codes from sqlite3.h.
    static let busy: Int32 = 5, locked: Int32 = 6, nomem: Int32 = 7, readonly: Int32 = 8
    static let ioerr: Int32 = 10, full: Int32 = 13, cantopen: Int32 = 14, constraint: Int32 = 19
    static let error: Int32 = 1

    @Test(arguments: [busy, locked, nomem, readonly, ioerr, full, cantopen])
    func unavailableCodes(code: Int32) {
        #expect(SQLiteError(code: code, extendedCode: code, message: "m").isUnavailable)
    }

    @Test(arguments: [error, constraint, Int32(11), Int32(21), Int32(26)])
    func otherCodesAreNotUnavailable(code: Int32) {
        #expect(!SQLiteError(code: code, extendedCode: code, message: "m").isUnavailable)
    }

    @Test func flags() {
        #expect(SQLiteError(code: Self.busy, extendedCode: Self.busy, message: "").isBusy)
        #expect(SQLiteError(code: Self.full, extendedCode: Self.full, message: "").isFull)
        #expect(SQLiteError(code: Self.ioerr, extendedCode: 10 | (4 << 8), message: "").isIOError)
        #expect(SQLiteError(code: Self.constraint, extendedCode: 2067, message: "").isConstraint)
        #expect(!SQLiteError(code: Self.error, extendedCode: Self.error, message: "").isBusy)
    }

    @Test func syntaxErrorIsTypedAndHidesArguments() throws {
        try withTempDatabase { db, _ throws in
            let secret = "hunter2-secret-value"
            let thrown = #expect(throws: SQLiteError.self) {
                try db.write { try $0.run("INSERT INTO nowhere VALUES (?) garbage", secret) }
            }
            #expect(thrown?.code == Self.error)
            #expect(thrown?.description.contains(secret) == false)
        }
    }

    @Test func constraintErrorHidesArguments() throws {
        try withTempDatabase { db, _ throws in
            let secret = "alice@example.com-secret"
            try db.write { try $0.execute("CREATE TABLE u (email TEXT UNIQUE)") }
            try db.write { try $0.run("INSERT INTO u VALUES (?)", secret) }
            let thrown = #expect(throws: SQLiteError.self) {
                try db.write { try $0.run("INSERT INTO u VALUES (?)", secret) }
            }
            #expect(thrown?.isConstraint == true)
            #expect(thrown?.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
            #expect(thrown?.description.contains(secret) == false)
        }
    }
}
