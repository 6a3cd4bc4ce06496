/// What an `Authorization` header carries (DESIGN: `Bot <token>`; `Bearer <token>` an OAuth2 access token,
/// falling back to a session token; a bare `<token>` a session token).
public enum Credential: Sendable, Equatable {
    case bot(Substring)
    case bearer(Substring)
    case bare(Substring)

    /// Parses the header as the real server does: a value with leading or trailing whitespace, or a token part
    /// with whitespace in it, is ignored as if no header had been sent. Prefixes are case-sensitive.
    public static func parse(_ header: String?) -> Credential? {
        guard let header, !header.isEmpty else { return nil }
        let bytes = header.utf8
        if isSpace(bytes.first!) || isSpace(bytes.last!) { return nil }
        if header.hasPrefix("Bot ") {
            return token(header.dropFirst(4)).map(Credential.bot)
        }
        if header.hasPrefix("Bearer ") {
            return token(header.dropFirst(7)).map(Credential.bearer)
        }
        return token(header[...]).map(Credential.bare)
    }

    /// The token, whichever the prefix.
    public var token: Substring {
        switch self {
        case .bot(let t), .bearer(let t), .bare(let t): t
        }
    }

    private static func token(_ s: Substring) -> Substring? {
        guard !s.isEmpty, s.utf8.count <= 512, !s.utf8.contains(where: isSpace) else { return nil }
        return s
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
}

/// Who is calling.
public struct Principal: Sendable {
    /// How the caller authenticated.
    public enum Kind: Sendable, Equatable {
        /// A user session; the hash identifies it (for `current` and logout).
        case session(hash: [UInt8])
        /// A bot token of this application (the bot user id is the application id).
        case bot(applicationID: UInt64)
        /// An OAuth2 access token granted to an application with these scopes.
        case oauth(applicationID: UInt64, scopes: [String], expiresAt: Int64)
    }

    /// The user (or bot user) acting.
    public var user: User
    /// The credential kind.
    public var kind: Kind

    /// Whether the caller holds an OAuth2 access token (routes must opt in to accept it).
    public var isOAuth: Bool {
        if case .oauth = kind { return true }
        return false
    }

    /// The OAuth2 scopes, for OAuth2 callers.
    public var oauthScopes: [String] {
        if case .oauth(_, let scopes, _) = kind { return scopes }
        return []
    }

    /// Whether the caller is a bot.
    public var isBot: Bool {
        if case .bot = kind { return true }
        return false
    }

    /// The session hash, when authenticated by a session.
    public var sessionHash: [UInt8]? {
        if case .session(let hash) = kind { return hash }
        return nil
    }
}
