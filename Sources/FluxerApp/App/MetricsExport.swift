import CoreMetrics
import FluxerAPI
import Metrics
import Prometheus

/// Where an `App`'s metrics go: a Prometheus registry that `GET /metrics` renders, and the swift-metrics factory
/// whose handles write into it (with each family's `# HELP` and the latency buckets from `Metrics.families`).
///
/// `MetricsSystem.bootstrap` may run once per process, and tests start many apps in one process. So the
/// process-wide export (`process`) is bootstrapped the first time it is asked for, by `serve` at start, and the
/// app is handed its factory explicitly; any library that records through `MetricsSystem.factory` lands in the
/// same registry. Other apps (tests, one-shot commands) get an `isolated()` registry of their own, so their
/// counts start at zero and never mix, and the global bootstrap is left alone.
public struct MetricsExport: Sendable {
    /// The registry rendered on `/metrics`.
    public let registry: PrometheusCollectorRegistry
    /// The factory the app's handles come from.
    public let factory: any MetricsFactory

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.factory = FluxerMetricsFactory(registry: registry)
    }

    /// A registry of its own, not bootstrapped into `MetricsSystem`.
    public static func isolated() -> MetricsExport { MetricsExport(registry: PrometheusCollectorRegistry()) }

    /// The process's export, bootstrapped into `MetricsSystem` exactly once (a `static let` initializer runs
    /// once, whichever thread gets there first).
    public static var process: MetricsExport { processExport }

    private static let processExport: MetricsExport = {
        let export = MetricsExport(registry: PrometheusCollectorRegistry())
        MetricsSystem.bootstrap(export.factory)
        return export
    }()

    /// Everything recorded, in Prometheus text exposition format 0.0.4.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}

/// swift-metrics handles backed by a `PrometheusCollectorRegistry`, named as recorded and carrying the help text
/// of their family (swift-prometheus's own factory registers without help). Timers become histograms in
/// seconds with `Metrics.latencyBucketsNanoseconds`.
struct FluxerMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private static let help: [String: String] = Dictionary(uniqueKeysWithValues: Metrics.families.map { ($0.name, $0.help) })
    /// The latency buckets in seconds.
    static let seconds: [Double] = Metrics.latencyBucketsNanoseconds.map { Double($0) / 1e9 }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: Self.help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: Self.seconds)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        SecondsHistogram(registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: Self.seconds))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let timer = handler as? SecondsHistogram { registry.unregisterValueHistogram(timer.histogram) }
    }
}

/// A swift-metrics timer recording into a Prometheus histogram of seconds (`Double`). swift-prometheus's own
/// timer is a `Histogram<Duration>`, whose bucket search compares `Duration`s through a call each: on the
/// per-request path that cost more than everything else the metrics do; `Double` compares inline.
final class SecondsHistogram: TimerHandler, Sendable {
    let histogram: ValueHistogram

    init(_ histogram: ValueHistogram) { self.histogram = histogram }

    func recordNanoseconds(_ duration: Int64) {
        histogram.record(Double(duration) / 1e9)
    }
}
