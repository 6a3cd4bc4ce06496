/// Who is calling (DESIGN: "decided once per request and carried as a typed value"). `Authenticator.identify`
/// decides it on the event loop from the `Authorization` header without I/O; when that needs the database, the
/// worker completes it with one lookup (`Authenticator.resolve`) before the route runs. Routes and the rate
/// limiter read it from the request (`HTTPRequest.caller`).
///
/// Small on purpose (a reference or a hash and a few bytes): it is stored in the request's typed storage on
/// every request, inline rather than boxed.
package enum Caller: Sendable {
    /// No `Authorization` header, or one the real server ignores (whitespace around or inside the token).
    case anonymous
    /// A credential was presented and refused: malformed or forged (a bot token whose HMAC fails), decided on the
    /// event loop with no database read (`nil`); or unknown, revoked or expired, decided by the lookup.
    case refused(PresentedCredential?)
    /// A session user, a bot, or an OAuth2 bearer with its scopes.
    case authenticated(Identity)
    /// Well formed (a bot token's HMAC checked) but not in the principal cache: one lookup decides it.
    case unresolved(PresentedCredential)

    /// The principal, when authenticated.
    package var principal: Principal? {
        if case .authenticated(let identity) = self { return identity.principal }
        return nil
    }

    /// The SHA-256 of a session token the request carries, bare or `Bearer`, whether or not it is still valid
    /// (logout ends it either way).
    package var presentedSessionHash: [UInt8]? {
        switch self {
        case .authenticated(let identity): identity.principal.sessionHash
        case .refused(let presented?), .unresolved(let presented): presented.kind == .session ? presented.hash : nil
        case .refused(nil), .anonymous: nil
        }
    }
}

/// A well-formed credential as `identify` derived it, with no I/O: what it claims to be and its SHA-256 (the
/// storage and cache key; computed once per request).
package struct PresentedCredential: Sendable {
    /// What the credential claims to be.
    package enum Kind: UInt8, Sendable, Equatable {
        /// A session token (bare, or under `Bearer`).
        case session
        /// An OAuth2 access token (under `Bearer`).
        case accessToken
        /// A bot token whose HMAC checked out.
        case bot
    }

    // Declared widest first, `kind` last: with no padding, `Caller` stays within three words (stored inline).

    /// SHA-256 of the token: the database's key and the principal cache's.
    package let hash: [UInt8]
    /// A bot token's bot (= application) id, from its verified signature; 0 for other kinds. (A flat field
    /// rather than a payload of `Kind`, for the same reason.)
    package let botID: UInt64
    /// What it claims to be.
    package let kind: Kind

    package init(kind: Kind, hash: [UInt8], botID: UInt64 = 0) {
        self.hash = hash
        self.botID = botID
        self.kind = kind
    }
}

/// An authenticated caller. A class, so a cache hit hands out one reference and the request carries one word.
package final class Identity: Sendable {
    /// The user (or bot user) and how they authenticated.
    package let principal: Principal
    /// `GET /users/@me`'s body for this caller, serialized once: an OAuth2 caller sees `email` only with the
    /// email scope.
    package let userJSON: [UInt8]

    package init(_ principal: Principal) {
        self.principal = principal
        var includeEmail = true
        if case .oauth(_, let scopes, _) = principal.kind { includeEmail = scopes.contains(OAuthScope.email.rawValue) }
        userJSON = principal.user.privateJSON(includeEmail: includeEmail).bytes
    }
}
