import Logging
import FluxerDomain

/// The JSON line of `SinkLogHandler` (`log.format = "json"`): one object with the fields of the logfmt line
/// (`time`, `level`, `msg`, then the metadata by key), every value a JSON string.
public enum JSONLogLine {
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
