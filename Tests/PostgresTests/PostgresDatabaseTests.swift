import Glibc
@testable import Postgres
import PostgresTestSupport
import Synchronization
import Testing

@Suite struct PostgresDatabaseTests {
    struct Boom: Error, Equatable {}

    @Test func unreachableServerFailsFastWithATypedError() throws {
        let port = try freeLoopbackPort()  // nothing listens there
        let url = "postgresql://postgres:\(TestCluster.password)@127.0.0.1:\(port)/db?sslmode=disable"
        let start = monotonicMilliseconds()
        let error = #expect(throws: PostgresError.self) {
            try PostgresDatabase(configuration: PostgresConfiguration(url: url, connectTimeoutSeconds: 2))
        }
        #expect(monotonicMilliseconds() - start < 2000)
        #expect(error?.kind == .connectionFailed)
        #expect(error?.isUnavailable == true)
        #expect(error?.description.contains(TestCluster.password) == false)
    }

    @Test func wrongPasswordIsReportedWithoutIt() throws {
        let test = try TestDatabase.make()
        let wrong = "Wrong-Pa55word-9f3a"
        let error = #expect(throws: PostgresError.self) {
            try PostgresDatabase(configuration: PostgresConfiguration(url: test.cluster.url(test.name, password: wrong)))
        }
        #expect(error?.kind == .connectionFailed)
        #expect(error?.description.contains("password authentication failed") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(wrong) == false)
    }

    @Test func exhaustedPoolIsUnavailableWithinTheCheckoutTimeout() throws {
        try withDatabase(poolSize: 1, checkoutTimeoutMilliseconds: 300) { db, _ throws in
            let holding = Atomic(false)
            let holder = startThread {
                _ = try? db.write { c in
                    holding.store(true, ordering: .sequentiallyConsistent)
                    _ = try c.query("SELECT pg_sleep(1.5)")
                }
            }
            defer { pthread_join(holder, nil) }
            #expect(waitUntil(milliseconds: 5000) { holding.load(ordering: .sequentiallyConsistent) })
            let start = monotonicMilliseconds()
            let error = #expect(throws: PostgresError.self) { try db.read { _ in } }
            let waited = monotonicMilliseconds() - start
            #expect(error?.kind == .unavailable)
            #expect(error?.isUnavailable == true)
            #expect(waited >= 250 && waited < 1200, "waited \(waited) ms")
        }
    }

    @Test func poolNeverOpensMoreThanItsSize() throws {
        try withDatabase(poolSize: 2, checkoutTimeoutMilliseconds: 10_000) { db, _ throws in
            let backends = Mutex<Set<Int32>>([])
            let failures = Atomic(0)
            runThreads(6) { _ in
                do {
                    let pid = try db.read { c throws in
                        _ = try c.query("SELECT pg_sleep(0.1)")
                        return c.backendProcessID
                    }
                    backends.withLock { _ = $0.insert(pid) }
                } catch {
                    failures.add(1, ordering: .sequentiallyConsistent)
                }
            }
            #expect(failures.load(ordering: .sequentiallyConsistent) == 0)
            #expect(backends.withLock { $0.count } <= 2)
        }
    }

    @Test func terminatedBackendIsReplaced() throws {
        try withDatabase(poolSize: 1) { db, test throws in
            let first = try db.read { $0.backendProcessID }
            try test.cluster.terminate(backend: first)
            let (second, one) = try db.read { c throws in (c.backendProcessID, try c.queryOne("SELECT 1 AS one")) }
            #expect(second != first)
            #expect(one?.int("one") == 1)
        }
    }

    @Test func writeWhoseConnectionDiesBeforeCommitRunsAgain() throws {
        try withDatabase(poolSize: 1) { db, test throws in
            try db.write { try $0.execute("CREATE TABLE t (v int8)") }
            var attempts = 0
            try db.write { c throws in
                attempts += 1
                try c.run("INSERT INTO t VALUES ($1)", attempts)
                if attempts == 1 { try test.cluster.terminate(backend: c.backendProcessID) }
                try c.run("INSERT INTO t VALUES ($1)", attempts)
            }
            #expect(attempts == 2)
            let values = try db.read { try $0.query("SELECT v FROM t ORDER BY v").map { $0.int("v") } }
            #expect(values == [2, 2])
        }
    }

    @Test func writeRollsBackWhenTheClosureThrows() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v int8)") }
            var attempts = 0
            #expect(throws: Boom.self) {
                try db.write { c throws in
                    attempts += 1
                    try c.run("INSERT INTO t VALUES ($1)", 1)
                    throw Boom()
                }
            }
            #expect(attempts == 1)
            #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM t")?.int("n") } == 0)
        }
    }

    @Test func swallowedStatementErrorRollsBackInsteadOfCommitting() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v int8 PRIMARY KEY)") }
            let error = #expect(throws: PostgresError.self) {
                try db.write { c throws in
                    try c.run("INSERT INTO t VALUES (1)")
                    _ = try? c.run("INSERT INTO t VALUES (1)")
                }
            }
            #expect(error?.kind == .invalidArgument)
            #expect(try db.read { try $0.queryOne("SELECT count(*) AS n FROM t")?.int("n") } == 0)
        }
    }

    @Test func uniqueViolationIsTypedAndNotRetried() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE users (id int8 PRIMARY KEY, email text UNIQUE)") }
            try db.write { try $0.run("INSERT INTO users VALUES ($1, $2)", 1, "alice@example.com") }
            var attempts = 0
            let error = #expect(throws: PostgresError.self) {
                try db.write { c throws in
                    attempts += 1
                    try c.run("INSERT INTO users VALUES ($1, $2)", 2, "alice@example.com")
                }
            }
            #expect(attempts == 1)
            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.constraintName == "users_email_key")
            #expect(error?.tableName == "users")
            #expect(error?.isUnavailable == false)
            #expect(error?.description.contains("alice") == false)
        }
    }

    @Test func savepointLetsTheTransactionCarryOn() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v int8 PRIMARY KEY)") }
            let outcome = try db.write { c throws -> String in
                try c.run("INSERT INTO t VALUES (1)")
                do {
                    try c.savepoint { try $0.run("INSERT INTO t VALUES (1)") }
                    return "inserted"
                } catch let error as PostgresError where error.isUniqueViolation {
                    try c.run("INSERT INTO t VALUES (2)")
                    return "fell back"
                }
            }
            #expect(outcome == "fell back")
            #expect(try db.read { try $0.query("SELECT v FROM t ORDER BY v").map { $0.int("v") } } == [1, 2])
        }
    }

    @Test func readIsReadOnly() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (v int8)") }
            let error = #expect(throws: PostgresError.self) { try db.read { try $0.run("INSERT INTO t VALUES (1)") } }
            #expect(error?.sqlState?.code == "25006")  // read_only_sql_transaction
        }
    }

    /// Write skew (PostgreSQL docs §13.2.3): both transactions read the table, then both insert. SERIALIZABLE
    /// fails one with 40001; `write` runs it again, and it then sees the other's row.
    @Test func serializationFailureIsRetried() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (seen int8)") }
            let attempts = Atomic(0)
            let arrived = Atomic(0)
            runThreads(2) { _ in
                var first = true
                try? db.write(isolation: .serializable) { c throws in
                    attempts.add(1, ordering: .sequentiallyConsistent)
                    let count = try c.queryOne("SELECT count(*) AS n FROM t")?.int("n") ?? -1
                    if first {
                        first = false
                        arrived.add(1, ordering: .sequentiallyConsistent)
                        _ = waitUntil(milliseconds: 5000) { arrived.load(ordering: .sequentiallyConsistent) >= 2 }
                    }
                    try c.run("INSERT INTO t VALUES ($1)", count)
                }
            }
            #expect(attempts.load(ordering: .sequentiallyConsistent) == 3)
            // The re-run is counted (fluxer_database_busy_retries_total{backend="postgres"}).
            #expect(db.transactionRetries == 1)
            let seen = try db.read { try $0.query("SELECT seen FROM t ORDER BY seen").map { $0.int("seen") } }
            #expect(seen == [0, 1])
        }
    }

    @Test func serializationFailureSurfacesWhenRetriesRunOut() throws {
        try withDatabase(maxTransactionAttempts: 1) { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (seen int8)") }
            let arrived = Atomic(0)
            let failures = Mutex<[PostgresError]>([])
            runThreads(2) { _ in
                do {
                    try db.write { c throws in
                        let count = try c.queryOne("SELECT count(*) AS n FROM t")?.int("n") ?? -1
                        arrived.add(1, ordering: .sequentiallyConsistent)
                        _ = waitUntil(milliseconds: 5000) { arrived.load(ordering: .sequentiallyConsistent) >= 2 }
                        try c.run("INSERT INTO t VALUES ($1)", count)
                    }
                } catch let error as PostgresError {
                    failures.withLock { $0.append(error) }
                } catch {}
            }
            let errors = failures.withLock { $0 }
            #expect(errors.count == 1)
            #expect(errors.first?.isSerializationFailure == true)
            #expect(errors.first?.isUnavailable == true)
            #expect(db.transactionRetries == 0)
        }
    }

    /// Two transactions lock two rows in opposite orders; the deadlock detector fails one with 40P01 and `write`
    /// runs it again.
    @Test func deadlockIsRetried() throws {
        try withDatabase { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (id int8 PRIMARY KEY, v int8); INSERT INTO t VALUES (1, 0), (2, 0);") }
            let attempts = Atomic(0)
            let arrived = Atomic(0)
            let failed = Atomic(0)
            runThreads(2) { index in
                var first = true
                do {
                    try db.write(isolation: .readCommitted) { c throws in
                        attempts.add(1, ordering: .sequentiallyConsistent)
                        // Superuser-only setting; a short timeout keeps the test fast (PostgreSQL docs §20.12).
                        try c.execute("SET LOCAL deadlock_timeout = '50ms'")
                        let (a, b) = index == 0 ? (1, 2) : (2, 1)
                        try c.run("UPDATE t SET v = v + 1 WHERE id = $1", a)
                        if first {
                            first = false
                            arrived.add(1, ordering: .sequentiallyConsistent)
                            _ = waitUntil(milliseconds: 5000) { arrived.load(ordering: .sequentiallyConsistent) >= 2 }
                        }
                        try c.run("UPDATE t SET v = v + 1 WHERE id = $1", b)
                    }
                } catch {
                    failed.add(1, ordering: .sequentiallyConsistent)
                }
            }
            #expect(failed.load(ordering: .sequentiallyConsistent) == 0)
            #expect(attempts.load(ordering: .sequentiallyConsistent) == 3)
            #expect(try db.read { try $0.query("SELECT v FROM t ORDER BY id").map { $0.int("v") } } == [2, 2])
        }
    }

    /// A cached `SELECT *` whose result type changed under it fails with 0A000 once; the statement is prepared
    /// again and the transaction runs again (PostgreSQL docs, SQL command PREPARE, Notes).
    @Test func cachedPlanInvalidatedBySchemaChangeIsPreparedAgain() throws {
        try withDatabase(poolSize: 1) { db, _ throws in
            try db.write { try $0.execute("CREATE TABLE t (a int8); INSERT INTO t VALUES (1);") }
            #expect(try db.read { try $0.queryOne("SELECT * FROM t WHERE a = $1", 1)?.columnNames } == ["a"])
            try db.write { try $0.execute("ALTER TABLE t ADD COLUMN b text") }
            var attempts = 0
            let names = try db.read { c throws in
                attempts += 1
                return try c.queryOne("SELECT * FROM t WHERE a = $1", 1)?.columnNames
            }
            #expect(names == ["a", "b"])
            #expect(attempts == 2)
        }
    }

    @Test func closedDatabaseRefusesWork() throws {
        let test = try TestDatabase.make()
        let db = try test.open()
        db.close()
        db.close()
        let error = #expect(throws: PostgresError.self) { try db.read { _ in } }
        #expect(error?.kind == .closed)
    }
}
