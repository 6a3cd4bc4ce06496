/// One security event of the audit log: ids, the client address and User-Agent, an outcome and a
/// fixed-vocabulary detail; never a token, code or password.
public struct AuditEvent: Sendable {
    public var at: Int64
    public var event: String
    public var outcome: String
    public var userID: UInt64?
    public var applicationID: UInt64?
    public var ip: String?
    public var userAgent: String?
    public var detail: String?
    /// Who acted when it was not the request's caller: `cli` for an operator's command; nil otherwise.
    public var actor: String? = nil
    /// The memberwise initializer, visible to the other targets of the package.
    package init(at: Int64, event: String, outcome: String, userID: UInt64?, applicationID: UInt64?, ip: String?, userAgent: String?, detail: String?, actor: String? = nil) {
        self.at = at
        self.event = event
        self.outcome = outcome
        self.userID = userID
        self.applicationID = applicationID
        self.ip = ip
        self.userAgent = userAgent
        self.detail = detail
        self.actor = actor
    }
}
