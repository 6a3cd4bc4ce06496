/// A user's standing consent for an application (`oauth2_authorizations`): the scopes granted so far.
package struct OAuthAuthorization: Sendable, Equatable {
    package var applicationID: UInt64
    package var scopes: [OAuthScope]
    package var authorizedAt: Int64
    /// The memberwise initializer, visible to the other targets of the package.
    package init(applicationID: UInt64, scopes: [OAuthScope], authorizedAt: Int64) {
        self.applicationID = applicationID
        self.scopes = scopes
        self.authorizedAt = authorizedAt
    }
}
