/// An atproto handle (atproto "Handle" spec, "Handle Identifier Syntax"): a DNS name of at least two labels, each
/// 1–63 ASCII letters, digits or hyphens, not starting or ending with a hyphen; at most 253 characters; the last
/// label (the TLD) does not start with a digit. Handles are case-insensitive and kept lower-cased ("Normalization").
public struct ATProtoHandle: Sendable, Hashable, CustomStringConvertible {
    /// The longest handle, in characters (the DNS limit).
    public static let maxLength = 253
    /// The longest label, in characters.
    public static let maxLabelLength = 63
    /// TLDs the spec disallows ("Additional Non-Syntax Restrictions"); `.test` stays allowed for development.
    public static let disallowedTLDs: Set<String> = ["alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"]

    /// The normalized (lower-case) handle.
    public let string: String

    /// Validates and normalizes `text`; nil when it is not a handle.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= Self.maxLength else { return nil }
        let labels = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard !label.isEmpty, label.count <= Self.maxLabelLength,
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                  label.allSatisfy({ Self.isLabelByte($0) })
            else { return nil }
        }
        guard let tld = labels.last, let first = tld.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return nil }
        let normalized = text.lowercased()
        guard let lastLabel = normalized.split(separator: ".").last, !Self.disallowedTLDs.contains(String(lastLabel))
        else { return nil }
        string = normalized
    }

    private static func isLabelByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D
    }

    /// The DNS name whose TXT records carry `did=<DID>` ("DNS TXT Method").
    public var txtName: String { "_atproto." + string }

    /// The normalized handle.
    public var description: String { string }
}
