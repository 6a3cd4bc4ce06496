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
    /// The memberwise initializer, visible to the other targets of the package.
    package init(hash: [UInt8], userID: UInt64, createdAt: Int64, lastUsedAt: Int64, clientIP: String?, userAgent: String?, isDesktop: Bool) {
        self.hash = hash
        self.userID = userID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.clientIP = clientIP
        self.userAgent = userAgent
        self.isDesktop = isDesktop
    }
}
