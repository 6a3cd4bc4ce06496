import ArgumentParser
import FluxerAuth

#if canImport(Glibc)
import Glibc
import FluxerDomain
#endif

/// The `fluxer-auth` command line: JSON on stdout for machine use, one-line errors on stderr.
struct FluxerAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluxer-auth",
        abstract: "A self-hosted authorization server speaking the Fluxer authentication API.",
        discussion: """
        Configuration precedence: flags > environment (FLUXER_AUTH_*) > config file > defaults.
        Run `fluxer-auth config-keys` for every configuration key with its environment variable.
        """,
        version: FluxerAuthVersion.string,
        subcommands: [Serve.self, Migrate.self, Seed.self, UserCommand.self, AppCommand.self, GuildCommand.self, OutboxCLI.self, Audit.self, DatabaseCLI.self, ConfigKeys.self, HashBenchmark.self],
        defaultSubcommand: nil
    )
}

/// Options shared by every command that reads the configuration.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML). Also FLUXER_AUTH_CONFIG.")
    var config: String?

    @Option(name: .long, help: "SQLite database file. Also FLUXER_AUTH_DATABASE.")
    var database: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL instead of SQLite (libpq URI). Also FLUXER_AUTH_DATABASE_URL.")
    var databaseURL: String?

    @Flag(name: .long, help: "Developer mode: generated secret under ./data, outbox, cookies without Secure. Also FLUXER_AUTH_DEV.")
    var dev = false

    /// The configuration: SQLite at `database.path`, or PostgreSQL when `database.url` is set.
    func load(extra: [String: String] = [:]) -> Config {
        var flags = extra
        if let database { flags["database.path"] = database }
        if let databaseURL { flags["database.url"] = databaseURL }
        if dev { flags["dev"] = "true" }
        let loaded: Config
        do {
            loaded = try ConfigLoader.load(file: config, environment: Environment.current(), flags: flags)
        } catch {
            fail(error.description, code: 2)
        }
        return loaded
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve HTTP until SIGTERM or SIGINT.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Listen address (IPv4 or IPv6 literal). Also FLUXER_AUTH_HOST.")
    var host: String?

    @Option(name: .long, help: "Listen port. Also FLUXER_AUTH_PORT.")
    var port: String?

    @Option(name: .long, help: "Seed file (JSON: users, applications, guilds) applied before serving; see `fluxer-auth seed --help`.")
    var seed: String?

    func run() throws {
        Signals.blockTermination()
        var flags: [String: String] = [:]
        if let host { flags["server.host"] = host }
        if let port { flags["server.port"] = port }
        let config = common.load(extra: flags)
        if let seed {
            do {
                print(try SeedCommand.run(config: config, path: seed))
            } catch {
                fail(error.description, code: error.exitCode)
            }
        }
        let sink = LogSink()
        do {
            let app = try App(config: config, sink: sink)
            try app.start()
            _ = Signals.waitForTermination()
            app.shutdown()
            sink.close()
        } catch {
            sink.close()
            fail(error.description, code: error.exitCode)
        }
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations (SQLite, or PostgreSQL with --database-url) and print the schema version as JSON.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = common.load()
        do {
            let result = try MigrateCommand.run(config: config)
            print(#"{"applied":[\#(result.applied.map(String.init).joined(separator: ","))],"version":\#(result.version)}"#)
        } catch {
            fail(error.description, code: error.exitCode)
        }
    }
}

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create users, applications and guilds from a JSON file (idempotent); prints ids and one-time secrets.",
        discussion: """
        {"users": [{"email": "alice@example.com", "username": "alice", "password": "…", "verified": true, "session": true}],
         "applications": [{"owner": "alice@example.com", "name": "My Bot", "redirect_uris": ["https://app.example/cb"],
                           "public": false, "public_client": false}],
         "guilds": [{"owner": "alice@example.com", "name": "Test Guild", "members": [{"email": "bob@example.com", "permissions": "32"}]}]}
        """)
    @OptionGroup var common: CommonOptions
    @Argument(help: "The seed file.") var file: String

    func run() throws {
        let config = common.load()
        do {
            print(try SeedCommand.run(config: config, path: file))
        } catch {
            fail(error.description, code: error.exitCode)
        }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create users and mint session tokens (JSON on stdout).",
        subcommands: [Create.self, Token.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user with an email and password.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Email address (unique, case-insensitive).") var email: String
        @Option(help: "Username (1-32 letters, digits, underscores).") var username: String
        @Option(help: "Password (8-256 characters). Visible to other local users in the process list; prefer --password-stdin.")
        var password: String?
        @Flag(help: "Read the password from the first line of standard input instead of --password.")
        var passwordStdin = false
        @Flag(help: "Mark the email as verified.") var verified = false

        func run() throws {
            let secret: String
            switch (password, passwordStdin) {
            case (let given?, false): secret = given
            case (nil, true):
                // readLine strips "\n" and "\r\n"; the rest of the line is the password, spaces included.
                guard let line = readLine(strippingNewline: true) else { fail("password: nothing on standard input", code: 1) }
                secret = line
            case (nil, false): fail("give --password or --password-stdin", code: 2)
            case (_?, true): fail("give --password or --password-stdin, not both", code: 2)
            }
            let config = common.load()
            do {
                print(try UserCommands.create(config: config, email: email, username: username, password: secret, verified: verified))
            } catch {
                fail(error.description, code: error.exitCode)
            }
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mint a session token for a user, for scripts: {user_id, token}.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The user's email.") var email: String

        func run() throws {
            let config = common.load()
            do {
                print(try UserCommands.token(config: config, email: email))
            } catch {
                fail(error.description, code: error.exitCode)
            }
        }
    }
}

struct AppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app", abstract: "Create OAuth2 applications with their bots (JSON on stdout).", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an application; prints id, client_id, client_secret, bot_id and bot_token (shown once).")
        @OptionGroup var common: CommonOptions
        @Option(help: "Owner user id.") var owner: String
        @Option(help: "Application name (1-100 characters).") var name: String
        @Option(name: .customLong("redirect-uri"), help: "Allowed redirect URI (repeatable): https, or http on localhost.")
        var redirectURIs: [String] = []
        @Flag(name: .customLong("public"), help: "Public bot: anyone may add it to a guild (default: only the owner).")
        var botPublic = false
        @Flag(name: .customLong("public-client"), help: "OAuth2 public client (no secret; PKCE required), e.g. a native or browser app.")
        var publicClient = false

        func run() throws {
            let config = common.load()
            do {
                print(try AppCommands.create(config: config, owner: owner, name: name, redirectURIs: redirectURIs, botPublic: botPublic,
                                              publicClient: publicClient))
            } catch {
                fail(error.description, code: error.exitCode)
            }
        }
    }
}

struct GuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guild", abstract: "Seed guilds for the OAuth2 bot scope (JSON on stdout).", subcommands: [Create.self, AddMember.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a guild owned by a user.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Owner user id.") var owner: String
        @Option(help: "Guild name.") var name: String

        func run() throws {
            let config = common.load()
            do { print(try GuildCommands.create(config: config, owner: owner, name: name)) } catch { fail(error.description, code: error.exitCode) }
        }
    }

    struct AddMember: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a user to a guild with permission bits.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Guild id.") var guild: String
        @Option(help: "User id.") var user: String
        @Option(help: "Permission bits (32 = MANAGE_GUILD, 8 = ADMINISTRATOR).") var permissions = "0"

        func run() throws {
            let config = common.load()
            do {
                print(try GuildCommands.addMember(config: config, guild: guild, user: user, permissions: permissions))
            } catch { fail(error.description, code: error.exitCode) }
        }
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the audit log as JSON lines, oldest first.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Only events of this user id.") var user: String?
    @Option(help: "Only events since a date (YYYY-MM-DD) or unix time in seconds.") var since: String?
    @Flag(help: "Keep printing new events until interrupted.") var follow = false

    func run() throws {
        let config = common.load()
        do {
            try AuditCommand.run(config: config, user: user, since: since, follow: follow) { Swift.print($0) }
        } catch {
            fail(error.description, code: error.exitCode)
        }
    }
}

struct HashBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-benchmark",
        abstract: "Time argon2id with the configured parameters on one thread (for tuning and the login benchmark).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Hashes to time.") var count = 10

    func run() throws {
        let config = common.load()
        print(PasswordBenchmark.run(config: config, count: max(1, count)))
    }
}

struct ConfigKeys: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config-keys", abstract: "List every configuration key, its environment variable and meaning.")

    func run() throws {
        for entry in ConfigLoader.documentation {
            print("\(entry.key)\t\(entry.environment)\t\(entry.help)")
        }
    }
}

func fail(_ message: String, code: Int32) -> Never {
    let line = Array("fluxer-auth: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(code)
}

FluxerAuthCommand.main()
