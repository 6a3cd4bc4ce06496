import Logging
import FluxerDomain

/// A swift-log handler writing one JSON object per line to a `LogSink` (`log.format = "json"`): the fields of
/// `LogfmtHandler`'s line (`time`, `level`, `msg`, then the metadata by key), every value a JSON string.
/// Metadata values are the caller's responsibility, as for logfmt: never a token, password, code or query string.
public struct JSONLogHandler: LogHandler {
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
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = Self.line(time: ISO8601.format(milliseconds: Clock.wallMilliseconds()), level: event.level.rawValue,
                             message: event.message.description, metadata: merged.mapValues(\.description))
        sink.append { $0.append(contentsOf: line) }
    }

    /// One line's bytes (without the newline): `time`, `level`, `msg`, then `metadata` sorted by key.
    package static func line(time: String, level: String, message: String, metadata: [String: String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        JSONLog.appendKey(&out, "time", first: true)
        JSONLog.appendString(&out, time)
        JSONLog.appendKey(&out, "level")
        JSONLog.appendString(&out, level)
        JSONLog.appendKey(&out, "msg")
        JSONLog.appendString(&out, message)
        for key in metadata.keys.sorted() {
            JSONLog.appendKey(&out, key)
            JSONLog.appendString(&out, metadata[key]!)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
