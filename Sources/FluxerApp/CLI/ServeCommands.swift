import FluxerPersistence
import ArgumentParser
import FluxerAPI
import FluxerDomain
#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve HTTP until SIGTERM or SIGINT.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Listen address (IPv4 or IPv6 literal). Also FLUXER_AUTH_HOST.")
    var host: String?

    @Option(name: .long, help: "Listen port. Also FLUXER_AUTH_PORT.")
    var port: String?

    @Option(name: .long, help: "Log line format: text (logfmt) or json (one object per line). Also FLUXER_AUTH_LOG_FORMAT.")
    var logFormat: String?

    @Option(name: .long, help: "Seed file (JSON: users, applications, guilds) applied before serving; see `fluxer-auth seed --help`. In dev mode the default is \(DevSeed.defaultPath) when it exists.")
    var seed: String?

    @Flag(name: .customLong("no-seed"), help: "Dev mode: start without the default seed file.")
    var noSeed = false

    func run() throws {
        Signals.blockTermination()
        // Bootstraps swift-metrics' MetricsSystem: once per process, before anything records.
        let metrics = MetricsExport.process
        var flags: [String: String] = [:]
        if let host { flags["server.host"] = host }
        if let port { flags["server.port"] = port }
        if let logFormat { flags["log.format"] = logFormat }
        var config = common.load(extra: flags, inferDev: false)
        if seed != nil && noSeed { fail("give --seed or --no-seed, not both", code: 2) }
        config.seedFile = seed ?? (config.dev && !noSeed ? DevSeed.defaultFile() : nil)
        var fixtures: Fixtures.Prepared?
        if let path = config.seedFile {
            do {
                let prepared = try SeedCommand.prepare(config: config, path: path)
                let summary = try SeedCommand.apply(prepared, config: config, path: path)
                fixtures = prepared
                if !config.dev { print(summary) }
            } catch {
                fail(error.description, code: error.exitCode)
            }
        }
        let sink = LogSink(format: config.logFormat)
        do {
            let app = try App(config: config, sink: sink, metrics: metrics)
            try app.start()
            if config.dev { DevSeed.printStartTable(config: config, boundPort: app.server.boundPorts.first, fixtures: fixtures?.fixtures) }
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

struct HashBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-benchmark",
        abstract: "Time argon2id with the configured parameters, on one thread and on every hash thread at once (the login ceiling).")
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
