import ArgumentParser

extension UserCommand {
    struct List: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "List users by id: a JSON array, no secrets.")
        @OptionGroup var common: CommonOptions
        @Option(help: "At most this many (1-\(UserAdmin.maxLimit)).") var limit = UserAdmin.defaultLimit
        @Option(help: "Only users with a larger id (the last id of the previous page).") var after: String?
        @Option(name: .customLong("email-contains"), help: "Only users whose email contains this (case-insensitive).")
        var emailContains: String?

        func output() throws(UserCommands.Failure) -> String {
            try UserAdmin.list(config: common.load(), limit: limit, after: after, emailContains: emailContains)
        }
    }

    struct Show: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user: second factors, sessions, applications.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The user's id or email.") var user: String

        func output() throws(UserCommands.Failure) -> String { try UserAdmin.show(config: common.load(), user: user) }
    }

    struct Disable: JSONCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: no sign-in (403 ACCOUNT_SUSPENDED_PERMANENTLY), sessions and OAuth2 grants revoked on every server.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The user's id or email.") var user: String
        @Flag(help: "Do it (without it the command says what it would do and exits 2).") var yes = false

        func output() throws(UserCommands.Failure) -> String { try UserAdmin.disable(config: common.load(), user: user, yes: yes) }
    }

    struct Enable: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user sign in again.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The user's id or email.") var user: String

        func output() throws(UserCommands.Failure) -> String { try UserAdmin.enable(config: common.load(), user: user) }
    }

    struct Delete: JSONCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user with its applications, sessions, grants, second factors and owned guilds (not a bot).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The user's id or email.") var user: String
        @Flag(help: "Do it (without it the command says what it would do and exits 2).") var yes = false

        func output() throws(UserCommands.Failure) -> String { try UserAdmin.delete(config: common.load(), user: user, yes: yes) }
    }
}

extension AppCommand {
    struct List: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "List applications by id: a JSON array, no secrets.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Only this user's applications.") var owner: String?
        @Option(help: "At most this many (1-\(UserAdmin.maxLimit)).") var limit = UserAdmin.defaultLimit
        @Option(help: "Only applications with a larger id.") var after: String?

        func output() throws(UserCommands.Failure) -> String {
            try AppAdmin.list(config: common.load(), owner: owner, limit: limit, after: after)
        }
    }

    struct Show: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "Show one application with its bot and owner.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The application id.") var id: String

        func output() throws(UserCommands.Failure) -> String { try AppAdmin.show(config: common.load(), id: id) }
    }

    struct Delete: JSONCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an application with its bot, bot token and every grant and token issued to it.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The application id.") var id: String
        @Flag(help: "Do it (without it the command says what it would do and exits 2).") var yes = false

        func output() throws(UserCommands.Failure) -> String { try AppAdmin.delete(config: common.load(), id: id, yes: yes) }
    }
}

/// `fluxer-auth sessions …`: a user's sessions by id_hash (tokens are never stored, so never shown).
struct SessionsCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List and end a user's sessions (JSON on stdout).", subcommands: [List.self, Revoke.self])

    struct List: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "A user's sessions: id_hash, created, last used, ip, user agent.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The user's id or email.") var user: String

        func output() throws(UserCommands.Failure) -> String { try SessionAdmin.list(config: common.load(), user: user) }
    }

    struct Revoke: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "End all of a user's sessions, or one, on every server at once.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The user's id or email.") var user: String
        @Option(help: "Only this session (its id_hash from sessions list).") var session: String?
        @Flag(help: "Do it (without it the command says what it would do and exits 2).") var yes = false

        func output() throws(UserCommands.Failure) -> String {
            try SessionAdmin.revoke(config: common.load(), user: user, session: session, yes: yes)
        }
    }
}

/// `fluxer-auth keys …`: the bot-token HMAC keys.
struct KeysCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Bot-token signing keys (JSON on stdout; key material is never shown).",
        discussion: """
        `rotate` stores a new key (sealed with security.secret_key) that every server verifies within a minute and \
        that signs new bot tokens after five; the other keys keep verifying until `retire KID`, which refuses the key \
        that signs. Tokens signed with a retired key stop working: reset them first.
        """,
        subcommands: [List.self, Rotate.self, Retire.self])

    struct List: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "Every key: id, source (config|database), status, which one signs.")
        @OptionGroup var common: CommonOptions

        func output() throws(UserCommands.Failure) -> String { try KeyAdmin.list(config: common.load()) }
    }

    struct Rotate: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "Add a key that signs new bot tokens after five minutes.")
        @OptionGroup var common: CommonOptions
        @Flag(help: "Do it (without it the command says what it would do and exits 2).") var yes = false

        func output() throws(UserCommands.Failure) -> String { try KeyAdmin.rotate(config: common.load(), yes: yes) }
    }

    struct Retire: JSONCommand {
        static let configuration = CommandConfiguration(abstract: "Stop verifying a key that no longer signs.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The key id (kid).") var kid: String
        @Flag(help: "Do it (without it the command says what it would do and exits 2).") var yes = false

        func output() throws(UserCommands.Failure) -> String { try KeyAdmin.retire(config: common.load(), kid: kid, yes: yes) }
    }
}
