import CoreMetrics
import HTTPServer
import Synchronization

/// Requests by route pattern and status, and their latency, recorded from the server's per-request hook on the
/// event loop. Labels come from the route table (`Router.Route.pattern`), never from the raw path, so the
/// number of series is bounded by routes × statuses.
///
/// The hot path (one call per request) does no lookup by string and no allocation once a route's handles
/// exist: the route is found by `RequestLogRecord.routeIndex` in an array, the status by its code in a fixed
/// table, and each handle is created once, on first use, and published with a compare-and-swap (`Lazy`; a lost
/// race made a second wrapper around the same backend series, which the exporter deduplicates by name and
/// labels, and drops it).
public final class RequestMetrics: Sendable {
    /// The series of one method on one route: a latency histogram and one counter per status.
    final class RouteSeries: Sendable {
        let method: String
        let route: String
        let factory: any MetricsFactory
        let duration: CoreMetrics.Timer
        /// Indexed by `RequestMetrics.statusSlot`; the last slot is the rare status outside the table.
        let statuses: [Lazy<CoreMetrics.Counter>]
        let otherStatuses = Mutex<[Int: CoreMetrics.Counter]>([:])

        init(method: String, route: String, factory: any MetricsFactory) {
            self.method = method
            self.route = route
            self.factory = factory
            duration = CoreMetrics.Timer(label: "fluxer_http_request_duration_seconds",
                                         dimensions: [("method", method), ("route", route)], factory: factory)
            statuses = (0..<RequestMetrics.knownStatuses.count).map { _ in Lazy() }
        }

        func record(status: Int, nanoseconds: UInt64) {
            duration.recordNanoseconds(Int64(clamping: nanoseconds))
            counter(status: status).increment()
        }

        private func counter(status: Int) -> CoreMetrics.Counter {
            guard let slot = RequestMetrics.statusSlot(status) else {
                return otherStatuses.withLock { table in
                    if let counter = table[status] { return counter }
                    let counter = makeCounter(status: status)
                    table[status] = counter
                    return counter
                }
            }
            return statuses[slot].get { makeCounter(status: status) }
        }

        private func makeCounter(status: Int) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "fluxer_http_requests_total",
                                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
        }
    }

    /// A reference made on first use, published with one compare-and-swap. (The standard library's
    /// `AtomicLazyReference` would do, but its `load` is not inlinable: every call looked up generic metadata at
    /// run time, a third of this type's cost per request.)
    final class Lazy<Instance: AnyObject & Sendable>: Sendable {
        /// The instance's address, retained once; 0 until made.
        private let address = Atomic<UInt>(0)

        func get(_ make: () -> Instance) -> Instance {
            let current = address.load(ordering: .acquiring)
            if current != 0 { return Self.instance(at: current) }
            let made = Unmanaged.passRetained(make())
            let (exchanged, original) = address.compareExchange(
                expected: 0, desired: UInt(bitPattern: made.toOpaque()), successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
            if exchanged { return made.takeUnretainedValue() }
            made.release()  // another thread published first: use theirs
            return Self.instance(at: original)
        }

        private static func instance(at address: UInt) -> Instance {
            Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(bitPattern: address)!).takeUnretainedValue()
        }

        deinit {
            let current = address.load(ordering: .acquiring)
            if current != 0 { Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(bitPattern: current)!).release() }
        }
    }

    /// The statuses this server sends (HTTPStatus's table and what handlers use); others take a locked path.
    static let knownStatuses: [Int] = [
        200, 201, 202, 204, 301, 302, 303, 304, 307, 308,
        400, 401, 403, 404, 405, 408, 409, 410, 411, 413, 414, 415, 417, 422, 429, 431,
        500, 501, 502, 503, 504, 505,
    ]
    /// `slotOfStatus[code]` is the slot + 1 in `knownStatuses`, 0 when not there.
    private static let slotOfStatus: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 600)
        for (slot, code) in knownStatuses.enumerated() { table[code] = UInt8(slot + 1) }
        return table
    }()

    static func statusSlot(_ status: Int) -> Int? {
        guard status >= 0, status < slotOfStatus.count else { return nil }
        let slot = Int(slotOfStatus[status])
        return slot == 0 ? nil : slot - 1
    }

    private let factory: any MetricsFactory
    /// `2 × route index` for the route's own method, `+ 1` for HEAD answered by a GET route.
    private let routes: [Lazy<RouteSeries>]
    private let methods: [HTTPMethod]
    private let patterns: [String]
    /// Requests that matched no route (404, 405, a request that could not be parsed): route `-`, by method.
    private let unmatched = Mutex<[String: RouteSeries]>([:])
    private let unexpected: CoreMetrics.Counter

    /// Handles for every route of `routes` (in `Router.routesByIndex` order), made by `factory`.
    public init(routes: [Router.Route], factory: any MetricsFactory) {
        self.factory = factory
        methods = routes.map(\.method)
        patterns = routes.map(\.pattern)
        self.routes = (0..<(2 * routes.count)).map { _ in Lazy() }
        unexpected = CoreMetrics.Counter(label: "fluxer_http_unexpected_errors_total", factory: factory)
    }

    /// Records one finished request (called on an event loop for every request: keep it cheap).
    public func record(_ record: RequestLogRecord) {
        if record.unexpectedError != nil { unexpected.increment() }
        series(for: record).record(status: record.status, nanoseconds: record.durationNanoseconds)
    }

    private func series(for record: RequestLogRecord) -> RouteSeries {
        let index = record.routeIndex
        guard index >= 0, index < methods.count else {
            return unmatched.withLock { table in
                if let series = table[record.method] { return series }
                let series = RouteSeries(method: record.method, route: "-", factory: factory)
                table[record.method] = series
                return series
            }
        }
        let isHead = methods[index] != .HEAD && record.method == "HEAD"
        return routes[2 * index + (isHead ? 1 : 0)].get {
            RouteSeries(method: isHead ? "HEAD" : methods[index].rawValue, route: patterns[index], factory: factory)
        }
    }
}
