import HTTPServer
import Synchronization

/// Prometheus counters kept with atomics so the request path never takes a lock.
public final class Metrics: Sendable {
    private let class1xx = Atomic<UInt64>(0)
    private let class2xx = Atomic<UInt64>(0)
    private let class3xx = Atomic<UInt64>(0)
    private let class4xx = Atomic<UInt64>(0)
    private let class5xx = Atomic<UInt64>(0)
    private let durationMicros = Atomic<UInt64>(0)
    private let unexpected = Atomic<UInt64>(0)
    private let startedAt: Int64
    private let openConnections = Mutex<(@Sendable () -> Int)?>(nil)

    /// Counters starting now.
    public init(now: Int64) { startedAt = now }

    /// Sets where the open-connections gauge is read from.
    public func bindOpenConnections(_ source: @escaping @Sendable () -> Int) {
        openConnections.withLock { $0 = source }
    }

    /// Records a finished request.
    public func record(_ r: RequestLogRecord) {
        switch r.status / 100 {
        case 1: class1xx.wrappingAdd(1, ordering: .relaxed)
        case 2: class2xx.wrappingAdd(1, ordering: .relaxed)
        case 3: class3xx.wrappingAdd(1, ordering: .relaxed)
        case 4: class4xx.wrappingAdd(1, ordering: .relaxed)
        default: class5xx.wrappingAdd(1, ordering: .relaxed)
        }
        durationMicros.wrappingAdd(r.durationNanoseconds / 1_000, ordering: .relaxed)
        if r.unexpectedError != nil { unexpected.wrappingAdd(1, ordering: .relaxed) }
    }

    /// Prometheus text exposition format 0.0.4.
    public func render(now: Int64) -> String {
        let openConnections = self.openConnections.withLock { $0 }?() ?? 0
        var out = "# HELP fluxer_http_requests_total Requests answered, by status class.\n# TYPE fluxer_http_requests_total counter\n"
        let classes = [class1xx.load(ordering: .relaxed), class2xx.load(ordering: .relaxed), class3xx.load(ordering: .relaxed),
                       class4xx.load(ordering: .relaxed), class5xx.load(ordering: .relaxed)]
        for (i, count) in classes.enumerated() {
            out += "fluxer_http_requests_total{class=\"\(i + 1)xx\"} \(count)\n"
        }
        out += "# HELP fluxer_http_request_duration_seconds_sum Total handling time.\n# TYPE fluxer_http_request_duration_seconds_sum counter\n"
        let micros = durationMicros.load(ordering: .relaxed)
        out += "fluxer_http_request_duration_seconds_sum \(micros / 1_000_000).\(String(repeating: "0", count: 6 - String(micros % 1_000_000).count))\(micros % 1_000_000)\n"
        out += "# HELP fluxer_http_unexpected_errors_total Handler errors answered as a bare 500.\n# TYPE fluxer_http_unexpected_errors_total counter\n"
        out += "fluxer_http_unexpected_errors_total \(unexpected.load(ordering: .relaxed))\n"
        out += "# HELP fluxer_http_open_connections Open client connections.\n# TYPE fluxer_http_open_connections gauge\n"
        out += "fluxer_http_open_connections \(openConnections)\n"
        out += "# HELP fluxer_uptime_seconds Seconds since start.\n# TYPE fluxer_uptime_seconds gauge\n"
        out += "fluxer_uptime_seconds \((now - startedAt) / 1000)\n"
        return out
    }
}
