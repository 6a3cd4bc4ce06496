/// Exponential backoff with jitter: base, 2·base, 4·base … capped, plus up to 20 % random extra (still capped),
/// so retries from many messages do not arrive at the receiver in lock-step.
package enum OutboxBackoff {
    /// The wait after the `attempt`-th failure (1-based).
    package static func delay(afterAttempt attempt: Int, base: Int64, cap: Int64,
                      random: (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }) -> Int64 {
        let shift = min(max(attempt - 1, 0), 40)
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << shift)
        let exact = overflow ? cap : min(scaled, cap)
        return min(exact + random(0...max(0, exact / 5)), cap)
    }
}
