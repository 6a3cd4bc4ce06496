/// A configuration problem, reported as one line naming the key; the CLI exits with status 2.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted key (or `config` for file-level problems).
    public let key: String
    /// Why the value is refused. Never contains the value itself (it may be a secret).
    public let reason: String

    /// An error for `key`.
    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    /// `invalid configuration: KEY: REASON`.
    public var description: String { "invalid configuration: \(key): \(reason)" }
}
