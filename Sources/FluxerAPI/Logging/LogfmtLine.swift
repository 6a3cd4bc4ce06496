import Logging
import FluxerDomain

/// The logfmt line of `SinkLogHandler` (`log.format = "text"`, the default).
public enum LogfmtLine {
    /// One line (without the newline): `time`, `level`, `msg`, then `metadata` sorted by key.
    package static func line(time: String, level: String, message: String, metadata: [String: String]) -> String {
        var line = "time=\(time) level=\(level) msg=\(Logfmt.value(message))"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(Logfmt.value(metadata[key]!))"
        }
        return line
    }
}
