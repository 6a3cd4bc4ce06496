import Logging
import FluxerDomain

/// A swift-log handler writing logfmt lines to a `LogSink`. Metadata values are the caller's responsibility:
/// never put a token, password, code or query string in them.
public struct LogfmtHandler: LogHandler {
    private let sink: LogSink
    private let label: String
    /// Minimum level.
    public var logLevel: Logger.Level
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]

    /// A handler for `label` writing to `sink`.
    public init(label: String, sink: LogSink, level: Logger.Level) {
        self.label = label
        self.sink = sink
        self.logLevel = level
    }

    /// Metadata access.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var line = "time=\(ISO8601.format(milliseconds: Clock.wallMilliseconds())) level=\(event.level.rawValue) msg=\(Logfmt.value(event.message.description))"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            line += " \(key)=\(Logfmt.value(merged[key]!.description))"
        }
        sink.write(line)
    }
}
