import SQLite
import Testing

@Suite struct SQLiteValueTests {
    @Test func roundTripsEveryValueType() throws {
        try withTempDatabase { db, _ throws in
            // A column without a declared type has no affinity, so values come back unchanged.
            let cases: [(SQLiteBindable?, SQLiteValue)] = [
                (nil, .null),
                (SQLiteValue.null, .null),
                (Int64.min, .integer(Int64.min)),
                (Int64.max, .integer(Int64.max)),
                (0, .integer(0)),
                (-42, .integer(-42)),
                (true, .integer(1)),
                (false, .integer(0)),
                (3.25, .real(3.25)),
                (-Double.greatestFiniteMagnitude, .real(-Double.greatestFiniteMagnitude)),
                ("", .text("")),
                ("héllo 🌍 日本語", .text("héllo 🌍 日本語")),
                ("a\u{0}b", .text("a\u{0}b")),
                ([UInt8](), .blob([])),
                ([0, 1, 0, 255, 0] as [UInt8], .blob([0, 1, 0, 255, 0])),
                ([UInt8](repeating: 0, count: 100_000), .blob([UInt8](repeating: 0, count: 100_000))),
                (Optional<Int>.none, .null),
                (Optional<String>.some("x"), .text("x")),
                (Optional<[UInt8]>.some([7]), .blob([7])),
                (SQLiteValue.real(1.5), .real(1.5)),
            ]
            try db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)") }
            for (index, (input, expected)) in cases.enumerated() {
                try db.write { try $0.run("INSERT INTO t (id, v) VALUES (?, ?)", index, input) }
                let value = try db.read { try $0.queryOne("SELECT v FROM t WHERE id = ?", index)?["v"] }
                #expect(value == expected, "case \(index)")
            }
        }
    }

    @Test func bindableConversions() {
        #expect(7.sqliteValue == .integer(7))
        #expect(Int64(-7).sqliteValue == .integer(-7))
        #expect(true.sqliteValue == .integer(1))
        #expect(false.sqliteValue == .integer(0))
        #expect(2.5.sqliteValue == .real(2.5))
        #expect("s".sqliteValue == .text("s"))
        #expect([UInt8]([1, 2]).sqliteValue == .blob([1, 2]))
        #expect(Optional<Bool>.none.sqliteValue == .null)
        #expect(Optional<Bool>.some(true).sqliteValue == .integer(1))
    }
}
