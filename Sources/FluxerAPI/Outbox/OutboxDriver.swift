import FluxerDomain

/// Hands one stored message to the outside world. Called on the outbox thread only, one message at a time;
/// may block (bounded by its own timeout).
public protocol OutboxDriver: Sendable {
    /// Delivers `message` or says why not.
    func deliver(_ message: StoredOutboxMessage) -> DeliveryResult
}
