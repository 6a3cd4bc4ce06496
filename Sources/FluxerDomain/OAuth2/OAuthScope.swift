/// OAuth2 scopes (real server's allow-list), in the canonical order responses use.
package enum OAuthScope: String, CaseIterable, Sendable {
    case identify, email, guilds, connections, bot, admin

    /// Scopes a third-party application may request (`admin` is first-party only and refused).
    package static let offered: [OAuthScope] = [.identify, .email, .guilds, .connections, .bot]

    /// Plain words for the consent page.
    package var consentText: String {
        switch self {
        case .identify: "Know your username, avatar and account ID"
        case .email: "Know your email address and whether it is verified"
        case .guilds: "See the names and icons of the communities you are in"
        case .connections: "See the accounts you have connected"
        case .bot: "Add a bot to a community you manage"
        case .admin: "Administer this server"
        }
    }

    /// Parses a space-separated scope string (RFC 6749 §3.3). Unknown, `admin`, empty or duplicated → nil.
    package static func parse(_ text: String) -> [OAuthScope]? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.count <= 10 else { return nil }
        var result: [OAuthScope] = []
        for part in parts {
            guard let scope = OAuthScope(rawValue: String(part)), offered.contains(scope) else { return nil }
            if !result.contains(scope) { result.append(scope) }
        }
        return canonical(result)
    }

    /// The scopes in canonical order.
    package static func canonical(_ scopes: [OAuthScope]) -> [OAuthScope] {
        allCases.filter(scopes.contains)
    }

    /// The space-separated form.
    package static func string(_ scopes: [OAuthScope]) -> String {
        canonical(scopes).map(\.rawValue).joined(separator: " ")
    }

    /// Parses a stored (trusted, canonical) scope string.
    package static func stored(_ text: String) -> [OAuthScope] {
        text.split(separator: " ").compactMap { OAuthScope(rawValue: String($0)) }
    }
}

/// Guild permission bits used by the bot scope.
package enum GuildPermission {
    package static let administrator: Int64 = 1 << 3
    package static let manageGuild: Int64 = 1 << 5
    /// Every defined bit (the real server masks requested permissions with ALL_PERMISSIONS).
    package static let all: Int64 = (1 << 53) - 1
}
