internal import CFluxerShim
import Synchronization

/// Generates 64-bit, time-ordered Snowflake ids:
/// `((ms − epoch) << 22) | (worker << 12) | sequence` (42 / 10 / 12 bits).
///
/// Ids from one generator are strictly increasing even if the clock steps backwards (the last
/// timestamp is kept) or stalls (after 4096 ids in one millisecond the logical timestamp advances
/// by 1 ms instead of waiting).
///
/// The generator is pure: it knows nothing of who else uses `workerID`. Making the worker id unique across
/// processes is the caller's job (the app leases it from the database); `after` and `next(notAfter:)` let the
/// caller keep successive holders of one worker id in disjoint timestamp ranges.
public final class SnowflakeGenerator: Sendable {
    /// The Snowflake epoch, 2015-01-01T00:00:00Z, in Unix milliseconds.
    public static let epochMilliseconds: Int64 = 1_420_070_400_000

    private static let workerBits = 10
    private static let sequenceBits = 12
    private static let maxSequence: UInt64 = (1 << sequenceBits) - 1
    private static let maxTimestampDelta: Int64 = (1 << 42) - 1

    private struct State {
        var lastTimestamp = Int64.min
        var sequence: UInt64 = 0
    }

    private let workerID: UInt64
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())

    /// The wall clock in Unix milliseconds (`CLOCK_REALTIME`).
    public static func wallClockMilliseconds() -> Int64 {
        fx_wall_ms()
    }

    /// Creates a generator for `workerID` (must be < 1024) reading Unix milliseconds from `clock`.
    ///
    /// Every id it returns has a timestamp strictly greater than `after` (Unix ms), whatever the clock says: a
    /// previous holder of the same worker id minted only at or below `after`, so the two can never collide, even
    /// if this clock is behind theirs (the ids then run ahead of the clock, 4096 per millisecond, until it
    /// catches up).
    public init(workerID: UInt16, after: Int64 = .min,
                clock: @escaping @Sendable () -> Int64 = SnowflakeGenerator.wallClockMilliseconds) {
        precondition(workerID < 1 << Self.workerBits, "workerID must be < 1024")
        self.workerID = UInt64(workerID)
        self.clock = clock
        if after != .min {
            // A full sequence at `after` forces the next id into the following millisecond.
            state.withLock { $0 = State(lastTimestamp: after, sequence: Self.maxSequence) }
        }
    }

    /// Returns the next id; never smaller than or equal to any id this generator returned before.
    public func next() -> UInt64 {
        next(notAfter: .max)!
    }

    /// Returns the next id if its timestamp would be at most `limit` (Unix ms); otherwise returns nil and
    /// leaves the generator as it was, so a caller whose right to the worker id ends at `limit` never mints past it.
    public func next(notAfter limit: Int64) -> UInt64? {
        let now = max(clock(), Self.epochMilliseconds)
        let minted: (Int64, UInt64)? = state.withLock { state in
            var next = state
            if now > next.lastTimestamp {
                next.lastTimestamp = now
                next.sequence = 0
            } else if next.sequence < Self.maxSequence {
                next.sequence += 1
            } else {
                next.lastTimestamp += 1
                next.sequence = 0
            }
            guard next.lastTimestamp <= limit else { return nil }
            state = next
            return (next.lastTimestamp, next.sequence)
        }
        guard let minted else { return nil }
        let (timestamp, sequence) = minted
        let delta = timestamp - Self.epochMilliseconds
        precondition(delta <= Self.maxTimestampDelta, "Snowflake timestamp overflow")
        return UInt64(delta) << 22 | workerID << UInt64(Self.sequenceBits) | sequence
    }

    /// The largest timestamp (Unix ms) this generator has used, or `after` if it has minted nothing: the floor
    /// the next holder of this worker id must stay above.
    public var highWaterMark: Int64 {
        state.withLock { $0.lastTimestamp }
    }

    /// The Unix-millisecond timestamp encoded in `id`.
    public static func timestamp(of id: UInt64) -> Int64 {
        Int64(id >> 22) + epochMilliseconds
    }
}
