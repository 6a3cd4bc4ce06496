/// A stored token row.
struct OAuthTokenRecord: Sendable {
    var hash: [UInt8]
    var kind: String
    var familyID: Int64
    var applicationID: UInt64
    var userID: UInt64
    var scopes: [OAuthScope]
    var createdAt: Int64
    var expiresAt: Int64
    var usedAt: Int64?
    var familyRevoked: Bool
    /// When the grant began (its family's creation): the grant lifetime counts from here (RT-06).
    var familyCreatedAt: Int64
}

/// A stored authorization code (RFC 6749 §4.1.2): what the redemption checks, and the family its first
/// redemption started (so a replay can revoke it).
struct OAuthCodeRecord: Sendable {
    var applicationID: UInt64
    var userID: UInt64
    var redirectURI: String
    /// Whether the authorization request named `redirect_uri` (the token request must then repeat it).
    var redirectGiven: Bool
    var scopes: [OAuthScope]
    var codeChallenge: String?
    var expiresAt: Int64
    var usedAt: Int64?
    var familyID: Int64?
}

/// A freshly issued pair.
struct IssuedTokens {
    var accessToken: String
    var refreshToken: String
    var scopes: [OAuthScope]
    var accessExpiresAt: Int64
    /// Seconds until the access token expires (`expires_in`): 7 days, less when the grant ends sooner.
    var accessExpiresIn: Int64
}
