/// What a driver reports for one message.
public enum DeliveryResult: Sendable, Equatable {
    /// Handed over; the row is marked delivered.
    case delivered
    /// Not handed over; retried later. `reason` is short and never holds the body, the recipient or a secret.
    case failed(reason: String)
}
