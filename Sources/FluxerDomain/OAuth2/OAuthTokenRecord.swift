/// A stored token row.
package struct OAuthTokenRecord: Sendable {
    package var hash: [UInt8]
    package var kind: String
    package var familyID: Int64
    package var applicationID: UInt64
    package var userID: UInt64
    package var scopes: [OAuthScope]
    package var createdAt: Int64
    package var expiresAt: Int64
    package var usedAt: Int64?
    package var familyRevoked: Bool
    /// When the grant began (its family's creation): the grant lifetime counts from here (RT-06).
    package var familyCreatedAt: Int64
    /// The memberwise initializer, visible to the other targets of the package.
    package init(hash: [UInt8], kind: String, familyID: Int64, applicationID: UInt64, userID: UInt64, scopes: [OAuthScope], createdAt: Int64, expiresAt: Int64, usedAt: Int64?, familyRevoked: Bool, familyCreatedAt: Int64) {
        self.hash = hash
        self.kind = kind
        self.familyID = familyID
        self.applicationID = applicationID
        self.userID = userID
        self.scopes = scopes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.familyRevoked = familyRevoked
        self.familyCreatedAt = familyCreatedAt
    }
}

/// A stored authorization code (RFC 6749 §4.1.2): what the redemption checks, and the family its first
/// redemption started (so a replay can revoke it).
package struct OAuthCodeRecord: Sendable {
    package var applicationID: UInt64
    package var userID: UInt64
    package var redirectURI: String
    /// Whether the authorization request named `redirect_uri` (the token request must then repeat it).
    package var redirectGiven: Bool
    package var scopes: [OAuthScope]
    package var codeChallenge: String?
    package var expiresAt: Int64
    package var usedAt: Int64?
    package var familyID: Int64?
    /// The memberwise initializer, visible to the other targets of the package.
    package init(applicationID: UInt64, userID: UInt64, redirectURI: String, redirectGiven: Bool, scopes: [OAuthScope], codeChallenge: String?, expiresAt: Int64, usedAt: Int64?, familyID: Int64?) {
        self.applicationID = applicationID
        self.userID = userID
        self.redirectURI = redirectURI
        self.redirectGiven = redirectGiven
        self.scopes = scopes
        self.codeChallenge = codeChallenge
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.familyID = familyID
    }
}

/// A freshly issued pair.
package struct IssuedTokens {
    package var accessToken: String
    package var refreshToken: String
    package var scopes: [OAuthScope]
    package var accessExpiresAt: Int64
    /// Seconds until the access token expires (`expires_in`): 7 days, less when the grant ends sooner.
    package var accessExpiresIn: Int64
    /// The memberwise initializer, visible to the other targets of the package.
    package init(accessToken: String, refreshToken: String, scopes: [OAuthScope], accessExpiresAt: Int64, accessExpiresIn: Int64) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.scopes = scopes
        self.accessExpiresAt = accessExpiresAt
        self.accessExpiresIn = accessExpiresIn
    }
}
