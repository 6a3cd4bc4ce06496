import Logging
import FluxerDomain

/// The swift-log handler writing the application log to a `LogSink`, one line per event in the configured format:
/// logfmt (`LogfmtLine.line`) or one JSON object (`JSONLogLine.line`), with the same fields in the same order
/// (`time`, `level`, `msg`, then the metadata by key). Metadata values are the caller's responsibility: never a
/// token, password, code or query string.
public struct SinkLogHandler: LogHandler {
    private let sink: LogSink
    private let label: String
    private let format: LogFormat
    /// Minimum level.
    public var logLevel: Logger.Level
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]

    /// A handler for `label` writing `format` lines to `sink`.
    public init(label: String, sink: LogSink, level: Logger.Level, format: LogFormat = .text) {
        self.label = label
        self.sink = sink
        self.logLevel = level
        self.format = format
    }

    /// Metadata access.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues(\.description)
        let time = ISO8601.format(milliseconds: Clock.wallMilliseconds())
        switch format {
        case .text:
            sink.write(LogfmtLine.line(time: time, level: event.level.rawValue, message: event.message.description, metadata: merged))
        case .json:
            let line = JSONLogLine.line(time: time, level: event.level.rawValue, message: event.message.description, metadata: merged)
            sink.append { $0.append(contentsOf: line) }
        }
    }
}
