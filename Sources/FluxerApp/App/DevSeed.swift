import FluxerAPI
import FluxerCrypto
import FluxerDomain
#if canImport(Glibc)
import Glibc
#endif

/// Dev mode's fixtures and the table `serve --dev` prints at start: where to point a client, the seeded logins,
/// the application's credentials, and lines to paste.
enum DevSeed {
    /// The seed `serve --dev` applies unless `--seed F` or `--no-seed` is given (relative to the working directory:
    /// `make run` runs in the repository).
    static let defaultPath = "config/seed.dev.json"

    /// `defaultPath` when it exists.
    static func defaultFile() -> String? {
        access(defaultPath, R_OK) == 0 ? defaultPath : nil
    }

    /// Prints the start table on standard output (the logs go to standard error).
    static func printStartTable(config: Config, boundPort: Int?, fixtures: Fixtures?) {
        print(startTable(config: config, boundPort: boundPort, fixtures: fixtures), terminator: "")
        fflush(nil)
    }

    static func startTable(config: Config, boundPort: Int?, fixtures: Fixtures?) -> String {
        var base = config.effectivePublicURL
        if config.publicURL.isEmpty, let boundPort {
            let h = config.host == "0.0.0.0" ? "127.0.0.1" : config.host.contains(":") ? "[\(config.host)]" : config.host
            base = "http://\(h):\(boundPort)"
        }
        let api = base + "/api/v1"
        var out = "\n  FluxerAuth \(FluxerAuthVersion.string), dev mode: a local api.fluxer.app at \(api)\n"
        out += "  database \(config.databaseURL == nil ? config.databasePath : "PostgreSQL")"
        out += config.seedFile.map { ", fixtures from \($0) (POST \(base)/_dev/reset restores them)" } ?? ", no seed file"
        out += "\n"
        guard let fixtures, !fixtures.users.isEmpty || !fixtures.applications.isEmpty else {
            out += "\n  Outbox (mail and SMS the server \"sent\"): \(base)/_dev/outbox\n\n"
            return out
        }
        if !fixtures.users.isEmpty {
            out += "\n  Logins (POST \(api)/auth/login)\n"
            let width = fixtures.users.map(\.email.count).max() ?? 0
            for user in fixtures.users {
                var notes: [String] = []
                if let secret = user.totpSecret { notes.append("TOTP secret \(Base32.encode(secret))") }
                if user.smsMFA, let phone = user.phone { notes.append("SMS to \(phone), codes in /_dev/outbox") }
                if !user.verified { notes.append("email not verified") }
                out += "    " + user.email.padding(width) + "  " + user.password.padding(18) + "  " + notes.joined(separator: "; ") + "\n"
            }
        }
        var botToken: String?
        for app in fixtures.applications {
            out += "\n  Application \"\(app.name)\"\n"
            if let id = app.id { out += "    client_id      \(id)\n" }
            if app.publicClient {
                out += "    public client  no secret, PKCE (S256) required\n"
            } else if let secret = app.clientSecret {
                out += "    client_secret  \(secret)\n"
            }
            if let token = app.botToken {
                out += "    bot token      \(token)\n"
                botToken = botToken ?? token
            }
            if let uri = app.redirectURIs.first { out += "    redirect_uri   \(uri)\n" }
        }
        for guild in fixtures.guilds {
            out += "\n  Guild \"\(guild.name)\"" + (guild.id.map { " \($0)" } ?? "") + "\n"
        }
        out += "\n  Try\n"
        if let botToken {
            out += "    curl -s \(api)/users/@me -H 'Authorization: Bot \(botToken)'\n"
        }
        if let user = fixtures.users.first(where: { $0.totpSecret == nil && $0.verified }) ?? fixtures.users.first {
            out += "    curl -s \(api)/auth/login -H 'Content-Type: application/json' -d '{\"email\":\"\(user.email)\",\"password\":\"\(user.password)\"}'\n"
        }
        out += "\n  Outbox (mail and SMS the server \"sent\"): \(base)/_dev/outbox    OpenAPI: \(api)/openapi.json\n\n"
        return out
    }
}

extension String {
    /// Left-aligned in `width` columns (never cut).
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
