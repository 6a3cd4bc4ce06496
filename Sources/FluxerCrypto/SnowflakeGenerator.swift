internal import CFluxerShim
import Synchronization

/// Generates 64-bit, time-ordered Snowflake ids:
/// `((ms − epoch) << 22) | (worker << 12) | sequence` (42 / 10 / 12 bits).
///
/// Ids from one generator are strictly increasing even if the clock steps backwards (the last
/// timestamp is kept) or stalls (after 4096 ids in one millisecond the logical timestamp advances
/// by 1 ms instead of waiting).
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
    public init(workerID: UInt16, clock: @escaping @Sendable () -> Int64 = SnowflakeGenerator.wallClockMilliseconds) {
        precondition(workerID < 1 << Self.workerBits, "workerID must be < 1024")
        self.workerID = UInt64(workerID)
        self.clock = clock
    }

    /// Returns the next id; never smaller than or equal to any id this generator returned before.
    public func next() -> UInt64 {
        let now = max(clock(), Self.epochMilliseconds)
        let (timestamp, sequence) = state.withLock { state in
            if now > state.lastTimestamp {
                state.lastTimestamp = now
                state.sequence = 0
            } else if state.sequence < Self.maxSequence {
                state.sequence += 1
            } else {
                state.lastTimestamp += 1
                state.sequence = 0
            }
            return (state.lastTimestamp, state.sequence)
        }
        let delta = timestamp - Self.epochMilliseconds
        precondition(delta <= Self.maxTimestampDelta, "Snowflake timestamp overflow")
        return UInt64(delta) << 22 | workerID << UInt64(Self.sequenceBits) | sequence
    }

    /// The Unix-millisecond timestamp encoded in `id`.
    public static func timestamp(of id: UInt64) -> Int64 {
        Int64(id >> 22) + epochMilliseconds
    }
}
