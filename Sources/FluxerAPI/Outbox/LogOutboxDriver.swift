import Logging
import FluxerDomain

/// `outbox.driver = "log"` (dev default): one log line per message with its id, channel, kind and a masked
/// recipient. Never the subject or body: they carry reset links and codes. Developers read those at
/// `GET /_dev/outbox` or with `fluxer-auth outbox`.
public struct LogOutboxDriver: OutboxDriver {
    package let logger: Logger

    /// A driver logging to `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Logs and reports `.delivered`.
    public func deliver(_ message: StoredOutboxMessage) -> DeliveryResult {
        logger.info("outbox message", metadata: [
            "outbox_id": "\(message.id)",
            "channel": "\(message.channel.rawValue)",
            "kind": "\(message.kind)",
            "to": "\(RecipientMask.mask(message.recipient, channel: message.channel))",
        ])
        return .delivered
    }
}
