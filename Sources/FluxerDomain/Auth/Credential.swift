/// What an `Authorization` header carries (DESIGN: `Bot <token>`; `Bearer <token>` an OAuth2 access token,
/// falling back to a session token; a bare `<token>` a session token).
public enum Credential: Sendable, Equatable {
    case bot(Substring)
    case bearer(Substring)
    case bare(Substring)

    /// Parses the header as the real server does: a value with leading or trailing whitespace, or a token part
    /// with whitespace in it, is ignored as if no header had been sent. Prefixes are case-sensitive.
    public static func parse(_ header: String?) -> Credential? {
        guard var header, !header.isEmpty else { return nil }
        // One pass over contiguous bytes: this runs for every authenticated request.
        let shape = header.withUTF8 { b -> (prefix: Int, ok: Bool) in
            if isSpace(b[0]) || isSpace(b[b.count - 1]) { return (0, false) }
            let prefix = hasPrefix(b, "Bot ") ? 4 : hasPrefix(b, "Bearer ") ? 7 : 0
            let count = b.count - prefix
            guard count > 0, count <= 512 else { return (prefix, false) }
            for i in prefix..<b.count where isSpace(b[i]) { return (prefix, false) }
            return (prefix, true)
        }
        guard shape.ok else { return nil }
        let token = header.utf8.index(header.startIndex, offsetBy: shape.prefix)
        switch shape.prefix {
        case 4: return .bot(header[token...])
        case 7: return .bearer(header[token...])
        default: return .bare(header[...])
        }
    }

    private static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard b.count >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where b[i] != p[i] { return false }
        return true
    }

    /// The token, whichever the prefix.
    public var token: Substring {
        switch self {
        case .bot(let t), .bearer(let t), .bare(let t): t
        }
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
    /// The memberwise initializer, visible to the other targets of the package.
    package init(user: User, kind: Kind) {
        self.user = user
        self.kind = kind
    }
}
