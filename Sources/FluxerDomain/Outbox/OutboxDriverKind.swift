/// `outbox.driver`: where messages go.
public enum OutboxDriverKind: String, Sendable, Equatable {
    /// One masked log line per message (the default; read bodies in dev at `GET /_dev/outbox`).
    case log
    /// POST signed JSON to `outbox.webhook_url`.
    case webhook
    /// Store and mark delivered, nothing else.
    case none
}
