/// A user's standing consent for an application (`oauth2_authorizations`): the scopes granted so far.
struct OAuthAuthorization: Sendable, Equatable {
    var applicationID: UInt64
    var scopes: [OAuthScope]
    var authorizedAt: Int64
}
