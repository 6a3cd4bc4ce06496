/// What a user types to sign in (atproto "AT Identifier"): a handle or a DID. Surrounding whitespace and one
/// leading `@` (as handles are usually shown) are ignored.
public enum ATIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// A handle (`alice.bsky.social`).
    case handle(ATProtoHandle)
    /// A DID (`did:plc:…`, `did:web:…`).
    case did(ATProtoDID)

    /// The longest input considered, in bytes.
    public static let maxInputBytes = ATProtoDID.maxLength + 8

    /// Parses `text`; nil when it is neither a handle nor a supported DID.
    public init?(_ text: String) {
        guard text.utf8.count <= Self.maxInputBytes else { return nil }
        var trimmed = Substring(text)
        while let first = trimmed.first, first == " " || first == "\t" { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        if trimmed.hasPrefix("did:") {
            guard let did = ATProtoDID(String(trimmed)) else { return nil }
            self = .did(did)
        } else {
            if trimmed.hasPrefix("@") { trimmed = trimmed.dropFirst() }
            guard let handle = ATProtoHandle(String(trimmed)) else { return nil }
            self = .handle(handle)
        }
    }

    /// The normalized text (the `login_hint` sent in the authorization request).
    public var string: String {
        switch self {
        case let .handle(handle): handle.string
        case let .did(did): did.string
        }
    }

    /// The normalized identifier.
    public var description: String { string }
}
