/// A stored session.
public struct SessionRecord: Sendable, Equatable {
    public var hash: [UInt8]
    public var userID: UInt64
    public var createdAt: Int64
    public var lastUsedAt: Int64
    public var clientIP: String?
    public var userAgent: String?
    public var isDesktop: Bool

    /// The API's `id_hash`.
    public var idHash: String { SessionToken.idHash(hash) }
}
