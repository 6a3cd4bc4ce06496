import FluxerPersistence
import ArgumentParser
import FluxerAPI
import FluxerDomain
#if canImport(Glibc)
import Glibc
#endif

/// The `fluxer-auth` command line: JSON on stdout for machine use, one-line errors on stderr.
public struct FluxerAuthCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "fluxer-auth",
        abstract: "A self-hosted authorization server speaking the Fluxer authentication API.",
        discussion: """
        Configuration precedence: flags > environment (FLUXER_AUTH_*) > config file > defaults.
        Run `fluxer-auth config-keys` for every configuration key with its environment variable.
        """,
        version: FluxerAuthVersion.string,
        subcommands: [Serve.self, Migrate.self, Seed.self, UserCommand.self, AppCommand.self, GuildCommand.self, SessionsCLI.self, KeysCLI.self, OutboxCLI.self, Audit.self, DatabaseCLI.self, SSOCommand.self, ConfigKeys.self, HashBenchmark.self],
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
    ///
    /// A command run beside `make run` needs no flags (`inferDev`, every command but `serve`): when no secret key
    /// is configured and the SQLite database's directory holds the key `serve --dev` generated (`secret.key`),
    /// the command works in dev mode on that database with that key, and says so on standard error, naming the
    /// running server that uses the same database, if any. (Given `--dev`, it says nothing: the caller chose.)
    func load(extra: [String: String] = [:], inferDev: Bool = true) -> Config {
        var flags = extra
        if let database { flags["database.path"] = database }
        if let databaseURL { flags["database.url"] = databaseURL }
        if dev { flags["dev"] = "true" }
        var loaded: Config
        do {
            loaded = try ConfigLoader.load(file: config, environment: Environment.current(), flags: flags)
        } catch {
            fail(error.description, code: 2)
        }
        if inferDev && !loaded.dev && loaded.secretKey == nil && loaded.databaseURL == nil
            && access(App.directory(of: loaded.databasePath) + "/secret.key", R_OK) == 0 {
            loaded.dev = true
            DevNotice.announce(loaded, inferred: true)
        }
        return loaded
    }
}

func fail(_ message: String, code: Int32) -> Never {
    let line = Array("fluxer-auth: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(code)
}
