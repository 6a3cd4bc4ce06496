import FluxerCrypto
import Synchronization
import Testing

/// A settable clock shared with the generator under test.
private final class FakeClock: Sendable {
    let now: Atomic<Int64>
    init(_ start: Int64) { now = Atomic(start) }
    func read() -> Int64 { now.load(ordering: .relaxed) }
    func set(_ value: Int64) { now.store(value, ordering: .relaxed) }
}

private let epoch = SnowflakeGenerator.epochMilliseconds

private func expectStrictlyIncreasing(_ ids: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) {
    for (a, b) in zip(ids, ids.dropFirst()) where a >= b {
        Issue.record("ids not strictly increasing: \(a) then \(b)", sourceLocation: sourceLocation)
        return
    }
}

@Test func snowflake_layoutWithInjectedClock() {
    let clock = FakeClock(epoch + 123_456)
    let generator = SnowflakeGenerator(workerID: 7) { clock.read() }
    let first = generator.next()
    let second = generator.next()
    #expect(first == 123_456 << 22 | 7 << 12 | 0)
    #expect(second == 123_456 << 22 | 7 << 12 | 1)
    #expect(SnowflakeGenerator.timestamp(of: first) == epoch + 123_456)
    clock.set(epoch + 123_457)
    #expect(generator.next() == 123_457 << 22 | 7 << 12 | 0)
}

@Test func snowflake_maxWorkerID() {
    let generator = SnowflakeGenerator(workerID: 1023) { epoch + 1 }
    #expect(generator.next() == 1 << 22 | 1023 << 12)
}

@Test func snowflake_timestampOfZeroIsEpoch() {
    #expect(SnowflakeGenerator.timestamp(of: 0) == epoch)
    #expect(epoch == 1_420_070_400_000)
}

@Test func snowflake_wallClockIdsCarryCurrentTime() {
    let before = SnowflakeGenerator.wallClockMilliseconds()
    let id = SnowflakeGenerator(workerID: 1).next()
    let after = SnowflakeGenerator.wallClockMilliseconds()
    #expect((before...after + 1).contains(SnowflakeGenerator.timestamp(of: id)))
}

@Test func snowflake_tenThousandIdsStrictlyIncreasing() {
    let generator = SnowflakeGenerator(workerID: 3)
    expectStrictlyIncreasing((0..<10_000).map { _ in generator.next() })
}

@Test func snowflake_clockSteppingBackStaysMonotonic() {
    let clock = FakeClock(epoch + 10_000_000)
    let generator = SnowflakeGenerator(workerID: 5) { clock.read() }
    var ids: [UInt64] = []
    for step in 0..<100 {
        clock.set(epoch + 10_000_000 + Int64(step))
        ids.append(generator.next())
    }
    clock.set(epoch + 10_000_000 + 99 - 5_000)
    for _ in 0..<1_000 { ids.append(generator.next()) }
    clock.set(epoch + 10_000_000 + 200)
    ids.append(generator.next())
    expectStrictlyIncreasing(ids)
    #expect(SnowflakeGenerator.timestamp(of: ids[1_000]) >= epoch + 10_000_000 + 99)
    #expect(SnowflakeGenerator.timestamp(of: ids.last!) == epoch + 10_000_000 + 200)
}

@Test func snowflake_sequenceOverflowAdvancesLogicalTime() {
    let generator = SnowflakeGenerator(workerID: 9) { epoch + 1_000 }
    let ids = (0..<4_096).map { _ in generator.next() }
    #expect(ids.allSatisfy { SnowflakeGenerator.timestamp(of: $0) == epoch + 1_000 })
    #expect(ids.map { $0 & 0xFFF } == (0..<4_096).map { UInt64($0) })
    let overflow = generator.next()
    #expect(SnowflakeGenerator.timestamp(of: overflow) == epoch + 1_001)
    #expect(overflow & 0xFFF == 0)
    #expect(overflow >> 12 & 0x3FF == 9)
    // A stuck clock never blocks: 20 000 more ids still come out increasing.
    expectStrictlyIncreasing(ids + [overflow] + (0..<20_000).map { _ in generator.next() })
}

@Test func snowflake_clockBeforeEpochIsClamped() {
    let generator = SnowflakeGenerator(workerID: 0) { 0 }
    let id = generator.next()
    #expect(SnowflakeGenerator.timestamp(of: id) == epoch)
    #expect(generator.next() > id)
}

@Test func snowflake_concurrentGenerationIsUnique() async {
    let generator = SnowflakeGenerator(workerID: 11)
    let batches = await withTaskGroup(of: [UInt64].self) { group in
        for _ in 0..<4 {
            group.addTask { (0..<10_000).map { _ in generator.next() } }
        }
        var all: [[UInt64]] = []
        for await batch in group { all.append(batch) }
        return all
    }
    for batch in batches { expectStrictlyIncreasing(batch) }
    let all = batches.flatMap { $0 }
    #expect(all.count == 40_000)
    #expect(Set(all).count == 40_000)
}

@Test func snowflake_workerIDOutOfRangeTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = SnowflakeGenerator(workerID: 1024)
    }
}

// MARK: - Floors and limits (a leased worker id: successive holders stay in disjoint timestamp ranges)

@Test func snowflake_floorAboveClock_mintsAboveTheFloor() {
    // The previous holder minted up to epoch + 5_000; this clock is 3 s behind theirs.
    let clock = FakeClock(epoch + 2_000)
    let generator = SnowflakeGenerator(workerID: 4, after: epoch + 5_000) { clock.read() }
    #expect(generator.highWaterMark == epoch + 5_000)
    let ids = (0..<5_000).map { _ in generator.next() }
    #expect(ids.allSatisfy { SnowflakeGenerator.timestamp(of: $0) > epoch + 5_000 })
    #expect(SnowflakeGenerator.timestamp(of: ids[0]) == epoch + 5_001 && ids[0] & 0xFFF == 0)
    expectStrictlyIncreasing(ids)
    // Once the clock passes the floor, ids follow it again.
    clock.set(epoch + 9_000)
    #expect(SnowflakeGenerator.timestamp(of: generator.next()) == epoch + 9_000)
}

@Test func snowflake_floorBelowClock_followsTheClock() {
    let generator = SnowflakeGenerator(workerID: 4, after: epoch + 5_000) { epoch + 7_000 }
    let id = generator.next()
    #expect(SnowflakeGenerator.timestamp(of: id) == epoch + 7_000 && id & 0xFFF == 0)
    #expect(generator.highWaterMark == epoch + 7_000)
}

@Test func snowflake_notAfter_refusesPastTheLimitWithoutAdvancing() {
    let clock = FakeClock(epoch + 1_000)
    let generator = SnowflakeGenerator(workerID: 2) { clock.read() }
    let first = generator.next(notAfter: epoch + 1_000)
    #expect(first.map(SnowflakeGenerator.timestamp(of:)) == epoch + 1_000)
    clock.set(epoch + 1_001)
    #expect(generator.next(notAfter: epoch + 1_000) == nil)
    #expect(generator.highWaterMark == epoch + 1_000)
    // The refused call consumed nothing: with a later limit the sequence starts fresh at the clock.
    #expect(generator.next(notAfter: epoch + 1_001) == 1_001 << 22 | 2 << 12)
}

@Test func snowflake_notAfter_sequenceOverflowStopsAtTheLimit() {
    // A stuck clock at the limit: 4096 ids fit in that millisecond, the next one would run past it.
    let generator = SnowflakeGenerator(workerID: 8) { epoch + 500 }
    let ids = (0..<4_096).compactMap { _ in generator.next(notAfter: epoch + 500) }
    #expect(ids.count == 4_096)
    #expect(generator.next(notAfter: epoch + 500) == nil)
    #expect(generator.highWaterMark == epoch + 500)
    #expect(generator.next(notAfter: epoch + 501).map(SnowflakeGenerator.timestamp(of:)) == epoch + 501)
}

@Test func snowflake_notAfter_clockSteppingBackStillRespectsLimit() {
    let clock = FakeClock(epoch + 10_000)
    let generator = SnowflakeGenerator(workerID: 6) { clock.read() }
    let a = generator.next(notAfter: epoch + 10_000)!
    clock.set(epoch + 4_000)
    // The clock went back: the id stays above `a` (same millisecond, next sequence) and within the limit.
    let b = generator.next(notAfter: epoch + 10_000)!
    #expect(b > a && SnowflakeGenerator.timestamp(of: b) == epoch + 10_000)
}
