import FluxerPersistence
import ArgumentParser
import FluxerAPI
import FluxerDomain
#if canImport(Glibc)
import Glibc
#endif

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list, show, disable, enable and delete users; mint session tokens (JSON on stdout).",
        subcommands: [Create.self, Token.self, List.self, Show.self, Disable.self, Enable.self, Delete.self])

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
        commandName: "app", abstract: "Create, list, show and delete OAuth2 applications with their bots (JSON on stdout).",
        subcommands: [Create.self, List.self, Show.self, Delete.self])

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

struct SSOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sso", abstract: "Single sign-on administration (JSON on stdout).", subcommands: [ATProtoKeys.self])

    struct ATProtoKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "atproto-keys", abstract: "Our AT Protocol OAuth client's signing keys (private_key_jwt).",
            discussion: """
            `rotate` adds a key that every node publishes within 5 minutes and that signs after 10; the previous key \
            signs until then and stays published until `retire --kid` (retire it once the new key signs).
            """,
            subcommands: [List.self, Rotate.self, Retire.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the published keys and which one signs.")
            @OptionGroup var common: CommonOptions
            func run() throws {
                do { print(try SSOCommands.list(config: common.load())) } catch { fail(error.description, code: error.exitCode) }
            }
        }

        struct Rotate: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a new signing key.")
            @OptionGroup var common: CommonOptions
            func run() throws {
                do { print(try SSOCommands.rotate(config: common.load())) } catch { fail(error.description, code: error.exitCode) }
            }
        }

        struct Retire: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Stop publishing a key that no longer signs.")
            @OptionGroup var common: CommonOptions
            @Option(help: "The key id (kid).") var kid: String
            func run() throws {
                do { print(try SSOCommands.retire(config: common.load(), kid: kid)) } catch { fail(error.description, code: error.exitCode) }
            }
        }
    }
}
