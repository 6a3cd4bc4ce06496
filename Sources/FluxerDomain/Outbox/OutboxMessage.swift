/// A message to send: an email or an SMS, as the accounts code builds it (verification, reset, MFA code).
public struct OutboxMessage: Sendable, Equatable {
    /// How the message travels.
    public enum Channel: String, Sendable, Equatable {
        case email
        case sms
    }

    /// How it travels.
    public var channel: Channel
    /// An email address or a phone number.
    public var recipient: String
    /// What it is for, e.g. `verify_email`, `password_reset`, `sms_code` (lower-case letters, digits, `_`).
    public var kind: String
    /// Email subject; nil for SMS.
    public var subject: String?
    /// The text, links and codes included.
    public var body: String

    /// A message.
    public init(channel: Channel, recipient: String, kind: String, subject: String? = nil, body: String) {
        self.channel = channel
        self.recipient = recipient
        self.kind = kind
        self.subject = subject
        self.body = body
    }

    /// The largest recipient: RFC 5321 §4.5.3.1 caps a path at 256 octets; 320 leaves room for display forms.
    public static let maxRecipientBytes = 320
    /// The longest kind.
    public static let maxKindBytes = 64
    /// RFC 5322 §2.1.1: a line must not exceed 998 characters; a subject is one line.
    public static let maxSubjectBytes = 998
    /// The largest body (64 KiB).
    public static let maxBodyBytes = 64 * 1024

    /// Checks every bound; throws the first one broken.
    package func validate() throws(OutboxError) {
        if recipient.isEmpty || recipient.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw .invalidRecipient }
        if recipient.utf8.count > Self.maxRecipientBytes { throw .recipientTooLong(limit: Self.maxRecipientBytes) }
        if kind.isEmpty || kind.utf8.count > Self.maxKindBytes
            || !kind.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) {
            throw .invalidKind
        }
        if let subject {
            if subject.utf8.count > Self.maxSubjectBytes { throw .subjectTooLong(limit: Self.maxSubjectBytes) }
            if subject.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) { throw .invalidSubject }
        }
        if body.utf8.count > Self.maxBodyBytes { throw .bodyTooLong(limit: Self.maxBodyBytes) }
    }
}
