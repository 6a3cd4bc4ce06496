import Foundation
import FluxerPersistence
import Postgres
import PostgresTestSupport
import Synchronization
import Testing

/// The transaction layer every store stands on, held to one behaviour on both backends: the same tests run on a
/// fresh SQLite file and on a fresh PostgreSQL database.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A fresh, empty store with one table for the tests.
    func open() throws -> DataStore {
        let store: DataStore
        switch self {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "fluxer-persistence-\(UUID().uuidString)"
            store = try DataStore(sqlitePath: directory + "/t.sqlite", readerCount: 2)
        case .postgres:
            store = DataStore(postgres: try TestDatabase.make().open(poolSize: 8))
        }
        let blob = self == .sqlite ? "BLOB" : "BYTEA"
        let bool = self == .sqlite ? "INTEGER" : "BOOLEAN"
        try store.write { db in
            try db.execute("""
                CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT, flag \(bool) NOT NULL DEFAULT FALSE, data \(blob),
                                    score DOUBLE PRECISION, used_at BIGINT);
                CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)
                """)
        }
        return store
    }
}

@Suite struct DataStoreConformanceTests {
    @Test(arguments: Backend.allCases) func valuesRoundTrip_everyType(_ backend: Backend) throws {
        let store = try backend.open()
        defer { store.close() }
        let bytes: [UInt8] = [0, 1, 0x27, 0x5c, 0xff]
        try store.write { db in
            try db.run("INSERT INTO items (id, name, flag, data, score) VALUES (?, ?, ?, ?, ?)",
                       Int64.min, "it's ? here -- not a comment", true, bytes, 2.5)
            try db.run("INSERT INTO items (id, name, flag, data, score) VALUES (?, ?, ?, ?, ?)",
                       Int64(bitPattern: UInt64.max - 1), nil as String?, false, [UInt8](), nil as Double?)
        }
        let rows = try store.read { try $0.query("SELECT id, name, flag, data, score FROM items ORDER BY id") }
        #expect(rows.count == 2)
        #expect(rows[0].int("id") == Int64.min)
        #expect(rows[0].string("name") == "it's ? here -- not a comment")
        #expect(rows[0].bool("flag") == true && rows[0].int("flag") == 1)
        #expect(rows[0].blob("data") == bytes)
        #expect(rows[0].double("score") == 2.5)
        #expect(UInt64(bitPattern: rows[1].int("id")!) == UInt64.max - 1)
        #expect(rows[1].string("name") == nil && rows[1]["name"] == .null)
        #expect(rows[1].bool("flag") == false)
        #expect(rows[1].blob("data") == [])
        #expect(rows[1].double("score") == nil)
    }

    @Test(arguments: Backend.allCases) func questionMarksInLiterals_areNotParameters(_ backend: Backend) throws {
        let store = try backend.open()
        defer { store.close() }
        let row = try store.read { try $0.queryOne("SELECT '?' AS a, ? AS b, 'x''?' AS c", "bound") }
        #expect(row?.string("a") == "?" && row?.string("b") == "bound" && row?.string("c") == "x'?")
        // Numbered parameters (SQLite's ?NNN) may repeat.
        try store.write { db in try db.run("INSERT INTO counters (name, value) VALUES (?1, ?2)", "n", Int64(3)) }
        let value = try store.read { try $0.queryOne("SELECT value FROM counters WHERE name = ?1 AND value >= ?2 AND value <= ?2", "n", Int64(3)) }
        #expect(value?.int("value") == 3)
    }

    @Test(arguments: Backend.allCases) func changedRowCounts_andReturning(_ backend: Backend) throws {
        let store = try backend.open()
        defer { store.close() }
        try store.write { db in
            for i in 1...3 { try db.run("INSERT INTO items (id, name) VALUES (?, ?)", Int64(i), "n\(i)") }
        }
        let changed = try store.write { db in try db.run("UPDATE items SET used_at = ? WHERE used_at IS NULL AND id <= ?", Int64(7), Int64(2)) }
        #expect(changed == 2)
        let again = try store.write { db in try db.run("UPDATE items SET used_at = ? WHERE used_at IS NULL AND id <= ?", Int64(8), Int64(2)) }
        #expect(again == 0)
        let deleted = try store.write { db in try db.query("DELETE FROM items WHERE id = ? RETURNING name", Int64(3)) }
        #expect(deleted.map { $0.string("name") } == ["n3"])
        let upserted = try store.write { db in
            try db.run("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value", "c", Int64(2))
            try db.run("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value", "c", Int64(5))
            return try db.queryOne("SELECT value FROM counters WHERE name = ?", "c")?.int("value")
        }
        #expect(upserted == 7)
    }

    @Test(arguments: Backend.allCases) func throwingWrite_rollsBackEverything(_ backend: Backend) throws {
        struct Refused: Error {}
        let store = try backend.open()
        defer { store.close() }
        #expect(throws: Refused.self) {
            try store.write { db in
                try db.run("INSERT INTO items (id, name) VALUES (1, 'kept?')")
                throw Refused()
            }
        }
        #expect(try store.read { try $0.queryOne("SELECT count(*) AS n FROM items")?.int("n") } == 0)
    }

    /// A failed statement inside a savepoint is undone alone; the transaction goes on (PostgreSQL would
    /// otherwise abort the whole transaction).
    @Test(arguments: Backend.allCases) func savepoint_undoesOnlyItsOwnStatements(_ backend: Backend) throws {
        let store = try backend.open()
        defer { store.close() }
        let names = try store.write { db -> [String?] in
            try db.run("INSERT INTO items (id, name) VALUES (1, 'first')")
            do {
                try db.savepoint {
                    try db.run("INSERT INTO items (id, name) VALUES (2, 'second')")
                    try db.run("INSERT INTO items (id, name) VALUES (1, 'duplicate')")
                }
                Issue.record("the duplicate key was accepted")
            } catch {}
            try db.run("INSERT INTO items (id, name) VALUES (3, 'third')")
            return try db.query("SELECT name FROM items ORDER BY id").map { $0.string("name") }
        }
        #expect(names == ["first", "third"])
    }

    /// Eight writers racing for one single-use row: exactly one wins, whatever the backend (SQLite's single
    /// writer; PostgreSQL's SERIALIZABLE with retries).
    @Test(arguments: Backend.allCases) func racingSpenders_exactlyOneWins(_ backend: Backend) throws {
        let store = try backend.open()
        defer { store.close() }
        try store.write { db in try db.run("INSERT INTO items (id, name) VALUES (1, 'code')") }
        let wins = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                let won = try store.write { db -> Bool in
                    guard try db.queryOne("SELECT used_at FROM items WHERE id = 1")?.int("used_at") == nil else { return false }
                    try db.run("UPDATE items SET used_at = ? WHERE id = 1", Int64(i))
                    return true
                }
                if won { wins.add(1, ordering: .relaxed) }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(wins.load(ordering: .relaxed) == 1)
        #expect(failures.load(ordering: .relaxed) == 0, "serialization failures must be retried, not surfaced")
    }

    @Test(arguments: Backend.allCases) func unavailable_isRecognized(_ backend: Backend) throws {
        let store = try backend.open()
        store.close()
        do {
            try store.read { _ = try $0.queryOne("SELECT 1 AS one") }
            Issue.record("a closed store answered")
        } catch {
            #expect(DataStore.isUnavailable(error), "\(error)")
        }
        struct Other: Error {}
        #expect(!DataStore.isUnavailable(Other()))
    }

    @Test(arguments: Backend.allCases) func dialect_andNotify(_ backend: Backend) throws {
        let store = try backend.open()
        defer { store.close() }
        #expect(store.dialect.rawValue == backend.rawValue)
        // NOTIFY inside a transaction is accepted on PostgreSQL and a no-op on SQLite.
        try store.write { db in try db.notify(channel: "fluxer_test", payload: "x") }
    }
}
