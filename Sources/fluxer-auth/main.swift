import ArgumentParser
import FluxerAuth

#if canImport(Glibc)
import Glibc
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
        subcommands: [Serve.self, Migrate.self, ConfigKeys.self, OutboxCLI.self],
        defaultSubcommand: nil
    )
}

/// Options shared by every command that reads the configuration.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML). Also FLUXER_AUTH_CONFIG.")
    var config: String?

    @Option(name: .long, help: "SQLite database file. Also FLUXER_AUTH_DATABASE.")
    var database: String?

    @Flag(name: .long, help: "Developer mode: generated secret under ./data, outbox, cookies without Secure. Also FLUXER_AUTH_DEV.")
    var dev = false

    func load(extra: [String: String] = [:]) -> Config {
        var flags = extra
        if let database { flags["database.path"] = database }
        if dev { flags["dev"] = "true" }
        do {
            return try ConfigLoader.load(file: config, environment: Environment.current(), flags: flags)
        } catch {
            fail(error.description, code: 2)
        }
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve HTTP until SIGTERM or SIGINT.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Listen address (IPv4 or IPv6 literal). Also FLUXER_AUTH_HOST.")
    var host: String?

    @Option(name: .long, help: "Listen port. Also FLUXER_AUTH_PORT.")
    var port: String?

    func run() throws {
        Signals.blockTermination()
        var flags: [String: String] = [:]
        if let host { flags["server.host"] = host }
        if let port { flags["server.port"] = port }
        let config = common.load(extra: flags)
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
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and print the schema version as JSON.")

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
