/// A DID (W3C DID Core §3.1, atproto "DID" spec) of one of the two methods atproto blesses: `did:plc` (24 characters
/// of lower-case base32, `a-z2-7`) and `did:web` (a host name; a port, percent-encoded, only for `localhost`;
/// no path, which atproto does not support).
public struct ATProtoDID: Sendable, Hashable, CustomStringConvertible {
    /// The longest DID accepted (the atproto spec's 2 KB limit).
    public static let maxLength = 2048
    /// The length of a `did:plc` identifier.
    public static let plcIdentifierLength = 24

    /// The two methods atproto supports.
    public enum Method: String, Sendable {
        /// `did:plc`, registered in a PLC directory.
        case plc
        /// `did:web`, served by its host.
        case web
    }

    /// The DID, exactly as given (DIDs are case-sensitive).
    public let string: String
    /// Its method.
    public let method: Method

    /// Validates `text`; nil unless it is a well-formed `did:plc` or `did:web`.
    public init?(_ text: String) {
        guard text.utf8.count <= Self.maxLength, text.hasPrefix("did:") else { return nil }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let identifier = parts[2]
        switch parts[1] {
        case "plc":
            guard identifier.utf8.count == Self.plcIdentifierLength,
                  identifier.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x32...0x37).contains($0) })  // base32: a-z, 2-7
            else { return nil }
            method = .plc
        case "web":
            guard Self.webHost(identifier) != nil else { return nil }
            method = .web
        default:
            return nil
        }
        string = text
    }

    /// For `did:web`: the host and optional port (`did:web:localhost%3A8080`).
    public var webHost: (host: String, port: Int?)? {
        method == .web ? Self.webHost(string.dropFirst("did:web:".count)) : nil
    }

    private static func webHost(_ identifier: Substring) -> (host: String, port: Int?)? {
        var host = String(identifier)
        var port: Int?
        if let encoded = identifier.firstRange(of: "%3A") ?? identifier.firstRange(of: "%3a") {
            host = String(identifier[..<encoded.lowerBound])
            let digits = identifier[encoded.upperBound...]
            guard host == "localhost", !digits.isEmpty, digits.count <= 5, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(digits), value >= 1, value <= 65535 else { return nil }
            port = value
        }
        guard !host.contains(":"), !host.contains("%") else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard host == "localhost" || labels.count >= 2, host.utf8.count <= ATProtoHandle.maxLength else { return nil }
        for label in labels {
            guard !label.isEmpty, label.count <= ATProtoHandle.maxLabelLength, !label.hasPrefix("-"), !label.hasSuffix("-"),
                  label.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            else { return nil }
        }
        return (host, port)
    }

    /// The DID.
    public var description: String { string }
}
