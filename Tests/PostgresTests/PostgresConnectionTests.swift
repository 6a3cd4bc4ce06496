import Postgres
import PostgresTestSupport
import Testing

@Suite struct PostgresConnectionTests {
    @Test func everyTypeRoundTrips() throws {
        try withDatabase { db, _ throws in
            try db.write { c throws in
                try c.execute(
                    """
                    CREATE TABLE v (id int8 PRIMARY KEY, i int8, t text, b bytea, f bool, d float8)
                    """)
            }
            let allBytes = (0...255).map(UInt8.init) + [0, 0, 0]
            let cases: [(Int64, Int64?, String?, [UInt8]?, Bool?, Double?)] = [
                (1, Int64.max, "plain", [0x00], true, 1.5),
                (2, Int64.min, "", [], false, -0.0),
                (3, 0, "quote ' double \" backslash \\ dollar $1 semicolon ;", allBytes, true, Double.greatestFiniteMagnitude),
                (4, -1, "ünïcödé 🎉 日本語", [0, 1, 0, 255, 0], false, -1e-300),
                (5, nil, nil, nil, nil, nil),
            ]
            try db.write { c throws in
                for (id, i, t, b, f, d) in cases {
                    #expect(try c.run("INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6)", id, i, t, b, f, d) == 1)
                }
            }
            let rows = try db.read { try $0.query("SELECT * FROM v ORDER BY id") }
            #expect(rows.count == cases.count)
            for (row, (id, i, t, b, f, d)) in zip(rows, cases) {
                #expect(row.int("id") == id)
                #expect(row.int("i") == i)
                #expect(row.string("t") == t)
                #expect(row.blob("b") == b)
                #expect(row.bool("f") == f)
                #expect(row.double("d") == d)
                if i == nil { #expect(row.isNull("i") && row.isNull("t") && row.isNull("b") && row["d"] == .null) }
            }
        }
    }

    @Test func parametersAreNeverSQL() throws {
        try withDatabase { db, _ throws in
            let hostile = "x'); DROP TABLE users; --"
            let row = try db.read { try $0.queryOne("SELECT $1::text AS echo, length($1) AS n", hostile) }
            #expect(row?.string("echo") == hostile)
            #expect(row?.int("n") == Int64(hostile.count))
        }
    }

    @Test func textWithNULIsRefusedWithoutQuotingIt() throws {
        try withDatabase { db, _ throws in
            let error = #expect(throws: PostgresError.self) {
                try db.read { try $0.query("SELECT $1::text", "secret\u{0}value") }
            }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.description.contains("secret") == false)
        }
    }

    @Test func serverErrorsDoNotQuoteArguments() throws {
        try withDatabase { db, _ throws in
            let error = #expect(throws: PostgresError.self) {
                try db.read { try $0.query("SELECT $1::int8 AS n", "not-a-number-4242") }
            }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == .invalidTextRepresentation)
            #expect(error?.description.contains("4242") == false)
        }
    }

    @Test func statementCachePreparesOncePerSQLAndTypes() throws {
        try withDatabase(poolSize: 1) { db, _ throws in
            try db.write { c throws in
                try c.execute("CREATE TABLE t (id int8 PRIMARY KEY, v text)")
                let before = c.cachedStatementCount
                for i in 0..<50 { try c.run("INSERT INTO t VALUES ($1, $2)", i, "v\(i)") }
                #expect(c.cachedStatementCount == before + 1)
                try c.run("INSERT INTO t VALUES ($1, $2)", 50, nil as String?)
                // Text and NULL are both sent untyped, so the types match and the statement is reused.
                #expect(c.cachedStatementCount == before + 1)
                try c.run("INSERT INTO t VALUES ($1, $2)", 51, "t".utf8.count)
                #expect(c.cachedStatementCount == before + 2)  // int8 where text went: another statement
            }
            let values = try db.read { c throws in
                try c.query("SELECT v FROM t WHERE id < $1 ORDER BY id", 3).map { $0.string("v") }
            }
            #expect(values == ["v0", "v1", "v2"])
        }
    }

    @Test func wrongArgumentCountIsAMisuse() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (a int8, b int8)") }
            for _ in 0..<2 {  // first prepared, then from the cache
                let error = #expect(throws: PostgresError.self) {
                    try db.write { try $0.run("INSERT INTO t VALUES ($1, $2)", 1) }
                }
                #expect(error?.kind == .invalidArgument)
                #expect(error?.isUnavailable == false)
            }
        }
    }

    @Test func runCountsChangedRows() throws {
        try withDatabase { db, _ throws in
            let changed = try db.write { c throws in
                try c.execute("CREATE TABLE t (v int8); INSERT INTO t VALUES (1), (2), (3);")
                return try c.run("UPDATE t SET v = v + 1 WHERE v >= $1", 2)
            }
            #expect(changed == 2)
        }
    }

    @Test func otherTypesReadAsText() throws {
        try withDatabase { db, _ throws in
            let row = try db.read { c throws in
                try c.queryOne(
                    "SELECT 12.50::numeric AS n, '2026-01-02'::date AS d, $1::uuid AS u, 7::int2 AS s, 2.5::float4 AS f",
                    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
            }
            #expect(row?.string("n") == "12.50")
            #expect(row?.string("d") == "2026-01-02")
            #expect(row?.string("u") == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
            #expect(row?.int("s") == 7)
            #expect(row?.double("f") == 2.5)
        }
    }
}
