import FluxerJSON

/// One row of the `outbox` table.
public struct StoredOutboxMessage: Sendable, Equatable {
    /// Snowflake id.
    public var id: Int64
    /// How it travels.
    public var channel: OutboxMessage.Channel
    /// Email address or phone number.
    public var recipient: String
    /// What it is for.
    public var kind: String
    /// Email subject.
    public var subject: String?
    /// The text; `[redacted after delivery]` once delivered outside dev mode.
    public var body: String
    /// Unix milliseconds.
    public var createdAt: Int64
    /// Delivery attempts so far.
    public var attempts: Int
    /// Unix milliseconds of delivery, if delivered.
    public var deliveredAt: Int64?
    /// Unix milliseconds of giving up, if given up.
    public var failedAt: Int64?
    /// Why the last attempt failed (short, no secret).
    public var lastError: String?

    /// Whether the message was handed over.
    public var isDelivered: Bool { deliveredAt != nil }

    /// The dev view: `{id, channel, to, kind, subject, body, created_at, delivered, failed, attempts, links, codes}`.
    /// The id is a string (snowflakes exceed 2^53); `links` and `codes` are lifted from the body for tests.
    public var json: JSONValue {
        let scan = OutboxBodyScan(body)
        return .object([
            ("id", .string(String(id))),
            ("channel", .string(channel.rawValue)),
            ("to", .string(recipient)),
            ("kind", .string(kind)),
            ("subject", subject.map(JSONValue.string) ?? .null),
            ("body", .string(body)),
            ("created_at", .string(ISO8601.format(milliseconds: createdAt))),
            ("delivered", .bool(isDelivered)),
            ("failed", .bool(failedAt != nil)),
            ("attempts", .int(Int64(attempts))),
            ("links", .array(scan.links.map(JSONValue.string))),
            ("codes", .array(scan.codes.map(JSONValue.string))),
        ])
    }
    /// The memberwise initializer, visible to the other targets of the package.
    package init(id: Int64, channel: OutboxMessage.Channel, recipient: String, kind: String, subject: String?, body: String, createdAt: Int64, attempts: Int, deliveredAt: Int64?, failedAt: Int64?, lastError: String?) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.kind = kind
        self.subject = subject
        self.body = body
        self.createdAt = createdAt
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.failedAt = failedAt
        self.lastError = lastError
    }
}
