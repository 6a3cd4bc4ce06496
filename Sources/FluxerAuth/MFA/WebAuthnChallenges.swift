/// Outstanding WebAuthn challenges, each usable once and only until it expires (WA-02).
///
/// A plain value: the I/O shell keeps it behind a `Mutex` (or persists the same rows in the database)
/// and passes the clock in, so tests are deterministic. A challenge is bound to a ceremony key such as
/// "register:<session id>", and `take` removes it whether or not the ceremony then verifies, so a
/// replayed response always meets a missing challenge.
public struct WebAuthnChallenges: Sendable {
    /// Upper bound on outstanding challenges; the oldest is dropped first.
    public static let maxPending = 10_000

    private var pending: [String: (challenge: [UInt8], expiresAt: Int64)] = [:]

    /// Creates an empty set.
    public init() {}

    /// Number of outstanding challenges.
    public var count: Int { pending.count }

    /// Stores `challenge` for `key` until `now + ttl` (milliseconds), replacing any earlier one for that key.
    public mutating func issue(_ challenge: [UInt8], for key: String, now: Int64,
                               ttl: Int64 = WebAuthnVerifier.timeoutMilliseconds) {
        pending = pending.filter { $0.value.expiresAt > now }
        if pending.count >= Self.maxPending, pending[key] == nil,
           let oldest = pending.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
            pending[oldest] = nil
        }
        pending[key] = (challenge, now + ttl)
    }

    /// Removes and returns the challenge for `key`, or nil if there is none or it has expired.
    public mutating func take(for key: String, now: Int64) -> [UInt8]? {
        guard let entry = pending.removeValue(forKey: key), entry.expiresAt > now else { return nil }
        return entry.challenge
    }
}
