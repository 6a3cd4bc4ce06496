/// How long a session lives on the server (ASVS 5.0 7.3.1 idle, 7.3.2 absolute; NIST 800-63B-4 §2.2.3;
/// checklist SE-07): it ends `idleMilliseconds` after its last recorded use, and `absoluteMilliseconds` after its
/// creation however much it is used.
///
/// Uses are recorded lazily (`SessionTouchQueue`: at most once a minute per session, written every few seconds),
/// so "last use" means the last *recorded* use, whether already written or still queued. A session therefore
/// ends at most `SessionTouchQueue.minimumInterval` early, never late. The principal cache, the session lookup,
/// the sessions list and maintenance all decide with this one rule.
public struct SessionExpiry: Sendable, Equatable {
    /// 30 days without a recorded use.
    public static let defaultIdleMilliseconds: Int64 = 30 * 86_400_000
    /// 180 days after creation.
    public static let defaultAbsoluteMilliseconds: Int64 = 180 * 86_400_000

    /// A session unused this long is over.
    public var idleMilliseconds: Int64
    /// A session this old is over, however recently used.
    public var absoluteMilliseconds: Int64

    /// The defaults, or the given lifetimes.
    public init(idleMilliseconds: Int64 = defaultIdleMilliseconds, absoluteMilliseconds: Int64 = defaultAbsoluteMilliseconds) {
        self.idleMilliseconds = idleMilliseconds
        self.absoluteMilliseconds = absoluteMilliseconds
    }

    /// The first instant at which the session is over.
    public func expiresAt(createdAt: Int64, lastUsedAt: Int64) -> Int64 {
        let absolute = createdAt.addingReportingOverflow(absoluteMilliseconds)
        let idle = max(createdAt, lastUsedAt).addingReportingOverflow(idleMilliseconds)
        return min(absolute.overflow ? .max : absolute.partialValue, idle.overflow ? .max : idle.partialValue)
    }

    /// Whether the session is over at `now`.
    public func isExpired(createdAt: Int64, lastUsedAt: Int64, now: Int64) -> Bool {
        now >= expiresAt(createdAt: createdAt, lastUsedAt: lastUsedAt)
    }
}
