/// Why a message was refused by `Outbox.enqueue`. Never carries the refused text (it may hold a token).
public enum OutboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The recipient is empty or holds control characters.
    case invalidRecipient
    /// The recipient is longer than `limit` bytes.
    case recipientTooLong(limit: Int)
    /// The kind is empty, too long or not `[a-z0-9_]`.
    case invalidKind
    /// The subject is longer than `limit` bytes.
    case subjectTooLong(limit: Int)
    /// The subject holds a line break (header injection).
    case invalidSubject
    /// The body is longer than `limit` bytes.
    case bodyTooLong(limit: Int)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case .invalidRecipient: "outbox: recipient is empty or holds control characters"
        case .recipientTooLong(let limit): "outbox: recipient longer than \(limit) bytes"
        case .invalidKind: "outbox: kind must be 1-64 characters of a-z, 0-9 and _"
        case .subjectTooLong(let limit): "outbox: subject longer than \(limit) bytes"
        case .invalidSubject: "outbox: subject holds a line break"
        case .bodyTooLong(let limit): "outbox: body longer than \(limit) bytes"
        }
    }
}
