#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time. Features take time as a parameter (injected) so tests are deterministic; this is the
/// production source.
public enum Clock {
    /// Milliseconds since the Unix epoch.
    public static func wallMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
