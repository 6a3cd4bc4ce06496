import FluxerDomain

/// `outbox.driver = "none"`: messages are stored and marked delivered, nothing is sent or logged.
public struct NoneOutboxDriver: OutboxDriver {
    /// The driver.
    public init() {}

    /// Always `.delivered`.
    public func deliver(_ message: StoredOutboxMessage) -> DeliveryResult { .delivered }
}
