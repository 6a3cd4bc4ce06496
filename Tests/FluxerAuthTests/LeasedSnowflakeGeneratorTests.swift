import FluxerPersistence
import Dispatch
import Glibc
import FluxerCrypto
import Synchronization
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import SQLite

/// A migrated SQLite file; each `open()` is a separate connection pool on it, standing for another process.
private final class LeaseFile {
    let dir = TempDir()
    var path: String { dir.file("leases.sqlite") }
    private let pools = Mutex<[DataStore]>([])

    init() throws {
        let database = try DataStore(sqlitePath: dir.file("leases.sqlite"), readerCount: 1)
        _ = try Migrator(migrations: EmbeddedMigrations.all).migrate(database.sqlite!)
        database.close()
    }

    func open() throws -> DataStore {
        let database = try DataStore(sqlitePath: path, readerCount: 1, busyTimeoutMilliseconds: 30_000)
        pools.withLock { $0.append(database) }
        return database
    }

    func store() throws -> SQLWorkerLeaseStore { SQLWorkerLeaseStore(database: try open()) }

    func row(_ workerID: UInt16) throws -> SQLRow? {
        let database = try open()
        return try database.read { try $0.queryOne("SELECT * FROM worker_leases WHERE worker_id = ?", Int64(workerID)) }
    }

    func close() {
        for database in pools.withLock({ $0 }) { database.close() }
        dir.remove()
    }
}

private let short = WorkerLeasePolicy(durationMilliseconds: 60_000, heartbeatMilliseconds: 10_000)

private func acquire(_ file: LeaseFile, _ clock: TestClock, policy: WorkerLeasePolicy = short) throws -> LeasedSnowflakeGenerator {
    try LeasedSnowflakeGenerator.acquire(store: try file.store(), policy: policy, clock: clock.function)
}

@Test func workerLease_migrationCreatesAll1024FreeIDs() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let rows = try file.open().read { try $0.query("SELECT worker_id, holder, expires_at, floor_ms FROM worker_leases ORDER BY worker_id") }
    #expect(rows.count == 1024)
    #expect(rows.first?.int("worker_id") == 0 && rows.last?.int("worker_id") == 1023)
    #expect(rows.allSatisfy { $0.string("holder") == nil && $0.int("expires_at") == 0 && $0.int("floor_ms") == 0 })
}

@Test func workerLease_twoProcessesGetDistinctIDs_andRecordTheirHolder() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let a = try acquire(file, clock)
    let b = try acquire(file, clock)
    #expect(a.workerID == 0 && b.workerID == 1)
    let row = try #require(try file.row(0))
    #expect(row.int("pid") == Int64(getpid()))
    #expect(row.string("hostname")?.isEmpty == false)
    #expect(row.int("started_at") == clock.now && row.int("expires_at") == clock.now + short.durationMilliseconds)
    #expect(try a.next() >> 12 & 0x3FF == 0)
    #expect(try b.next() >> 12 & 0x3FF == 1)
}

@Test func workerLease_concurrentAcquisitionsNeverShareAnID() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let stores = try (0..<8).map { _ in try file.store() }
    let ids = Mutex<[UInt16]>([])
    DispatchQueue.concurrentPerform(iterations: 8) { worker in
        for _ in 0..<40 {
            guard let lease = try? LeasedSnowflakeGenerator.acquire(store: stores[worker], policy: short, clock: clock.function),
                  let id = lease.workerID else { continue }
            ids.withLock { $0.append(id) }
        }
    }
    let all = ids.withLock { $0 }
    #expect(all.count == 320)
    #expect(Set(all).count == 320)
}

@Test func workerLease_liveLeaseIsNotReclaimed_expiredOneIs() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let old = try acquire(file, clock)
    #expect(old.workerID == 0)
    let oldEnd = clock.now + short.durationMilliseconds
    // Everything else taken, so the only candidate is worker 0.
    _ = try file.open().write { try $0.run("UPDATE worker_leases SET holder = 'other', pid = 1, expires_at = ? WHERE worker_id > 0", Int64.max) }

    clock.advance(milliseconds: short.durationMilliseconds - 1)
    #expect(throws: StartupError.self) { try acquire(file, clock) }

    clock.advance(milliseconds: 1)
    let taker = try acquire(file, clock)
    #expect(taker.workerID == 0)
    #expect(try file.row(0)?.int("floor_ms") == oldEnd)
    // The taker mints strictly above the old holder's lease end; the old holder, not yet aware, may still mint
    // up to that end (disjoint ranges), never past it.
    #expect(SnowflakeGenerator.timestamp(of: try taker.next()) > oldEnd)
    #expect(SnowflakeGenerator.timestamp(of: try old.next()) == oldEnd)
    clock.advance(milliseconds: 1)
    #expect(throws: WorkerLeaseError.self) { try old.next() }
    // Its next heartbeat finds the lease gone and keeps refusing (no free id to move to).
    #expect(old.heartbeat() == false)
    #expect(old.workerID == nil)
    #expect(throws: WorkerLeaseError.self) { try old.next() }
}

@Test func workerLease_unrenewedLeaseStopsMintingAtItsEnd() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let lease = try acquire(file, clock)
    clock.advance(milliseconds: short.durationMilliseconds)
    #expect(SnowflakeGenerator.timestamp(of: try lease.next()) == clock.now)
    clock.advance(milliseconds: 1)
    #expect(throws: WorkerLeaseError.self) { try lease.next() }
    // Nobody took the id meanwhile: a late renewal is accepted and minting resumes.
    #expect(lease.heartbeat())
    #expect(SnowflakeGenerator.timestamp(of: try lease.next()) == clock.now)
    #expect(try file.row(0)?.int("expires_at") == clock.now + short.durationMilliseconds)
}

@Test func workerLease_renewalNeverShortensTheLease() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let lease = try acquire(file, clock)
    let end = clock.now + short.durationMilliseconds
    clock.advance(milliseconds: -30_000)  // the wall clock steps back
    #expect(lease.heartbeat())
    #expect(try file.row(0)?.int("expires_at") == end)
    clock.advance(milliseconds: 40_000)
    #expect(lease.heartbeat())
    #expect(try file.row(0)?.int("expires_at") == clock.now + short.durationMilliseconds)
}

@Test func workerLease_releaseFreesTheID_andTheNextHolderMintsAboveTheLastID() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let first = try acquire(file, clock)
    let ids = try (0..<5_000).map { _ in try first.next() }  // 4096 per ms: the last one is a millisecond ahead
    let last = SnowflakeGenerator.timestamp(of: ids.last!)
    #expect(last == clock.now + 1)
    first.release()
    #expect(throws: WorkerLeaseError.self) { try first.next() }
    let row = try #require(try file.row(0))
    #expect(row.string("holder") == nil && row.int("pid") == nil && row.int("expires_at") == 0)
    #expect(row.int("floor_ms") == last)

    let second = try acquire(file, clock)
    #expect(second.workerID == 0)
    let next = try second.next()
    #expect(SnowflakeGenerator.timestamp(of: next) == last + 1)
    #expect(!ids.contains(next))
    first.release()  // idempotent, and never frees the new holder's lease
    #expect(try file.row(0)?.string("holder") != nil)
}

@Test func workerLease_allTaken_isAClearOneLineStartupError() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let store = try file.store()
    var leases: [LeasedSnowflakeGenerator] = []
    for _ in 0..<1024 { leases.append(try LeasedSnowflakeGenerator.acquire(store: store, policy: short, clock: clock.function)) }
    #expect(Set(leases.compactMap(\.workerID)).count == 1024)
    do {
        _ = try LeasedSnowflakeGenerator.acquire(store: store, policy: short, clock: clock.function)
        Issue.record("a 1025th lease was granted")
    } catch {
        guard case .workerIDs = error else { Issue.record("unexpected \(error)"); return }
        #expect(error.exitCode == 1)
        #expect(error.description.hasPrefix("worker id: all 1024 snowflake worker ids are leased"))
        #expect(!error.description.contains("\n"))
    }
    leases[17].release()
    #expect(try LeasedSnowflakeGenerator.acquire(store: store, policy: short, clock: clock.function).workerID == 17)
}

@Test func workerLease_lostLeaseIsReplacedAtTheNextHeartbeat() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let clock = TestClock()
    let lease = try acquire(file, clock)
    // Another process steals worker 0 (as it may once the lease expired).
    _ = try file.open().write { try $0.run("UPDATE worker_leases SET holder = 'thief', pid = 1 WHERE worker_id = 0") }
    #expect(lease.heartbeat() == false)
    #expect(throws: WorkerLeaseError.self) { try lease.next() }
    #expect(lease.heartbeat())
    #expect(lease.workerID == 1)
    #expect(try lease.next() >> 12 & 0x3FF == 1)
}

@Test func workerLease_heartbeatThreadRenews_andReleaseStopsIt() throws {
    let file = try LeaseFile()
    defer { file.close() }
    let policy = WorkerLeasePolicy(durationMilliseconds: 400, heartbeatMilliseconds: 50)
    let lease = try LeasedSnowflakeGenerator.acquire(store: try file.store(), policy: policy)
    lease.startHeartbeat()
    let firstEnd = try #require(try file.row(0)?.int("expires_at"))
    usleep(300_000)
    #expect(try #require(try file.row(0)?.int("renewed_at")) > firstEnd - policy.durationMilliseconds)
    #expect(try #require(try file.row(0)?.int("expires_at")) > firstEnd)
    usleep(300_000)  // past the first lease end: still minting, renewed meanwhile
    _ = try lease.next()
    let started = SnowflakeGenerator.wallClockMilliseconds()
    lease.release()
    #expect(SnowflakeGenerator.wallClockMilliseconds() - started < 1_000)  // no wait for the next beat
    #expect(try file.row(0)?.string("holder") == nil)
}

@Test func app_leasesAWorkerIDForItsLife_andReleasesItOnShutdown() throws {
    let first = try RunningApp()
    let second = try RunningApp { $0.databasePath = first.dir.file("db/fluxer-auth.sqlite") }
    defer {
        second.stop()
        first.dir.remove()
    }
    #expect(first.app.context.snowflakes.workerID == 0 && second.app.context.snowflakes.workerID == 1)
    first.app.shutdown()
    first.sink.close()
    close(first.logFD)
    let holders = try second.app.context.database.read { try $0.query("SELECT worker_id FROM worker_leases WHERE holder IS NOT NULL") }
    #expect(holders.compactMap { $0.int("worker_id") } == [1])
}

@Test func app_withoutItsLease_answers503WhereItWouldMintAnID_untilTheNextHeartbeat() throws {
    let running = try RunningApp()
    defer { running.stop() }
    let snowflakes = running.app.context.snowflakes
    // Another process took worker 0 (as it may once a lease has expired); every other id is held too.
    _ = try running.app.context.database.write { try $0.run("UPDATE worker_leases SET holder = 'other', pid = 1, expires_at = ?", Int64.max) }
    #expect(snowflakes.heartbeat() == false)
    let body = #"{"email":"nolease@example.com","username":"nolease","password":"a fine long password 7","date_of_birth":"1990-01-01","consent":true}"#
    let refused = TestClient.request(port: running.port, "POST", "/auth/register", headers: [("Content-Type", "application/json")], body: body)
    #expect(refused.status == 503)
    #expect(refused.header("Retry-After") == "10")
    // A worker id frees up: the next heartbeat takes it and minting resumes.
    _ = try running.app.context.database.write { try $0.run("UPDATE worker_leases SET holder = NULL, pid = NULL, expires_at = 0 WHERE worker_id = 5") }
    #expect(snowflakes.heartbeat())
    #expect(snowflakes.workerID == 5)
    let created = TestClient.request(port: running.port, "POST", "/auth/register", headers: [("Content-Type", "application/json")], body: body)
    #expect(created.status == 200)
}
