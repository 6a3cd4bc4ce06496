import FluxerPersistence
import FluxerDomain
import ArgumentParser
import FluxerAPI

/// `fluxer-auth db …`: whole-database operations.
struct DatabaseCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Whole-database operations.", subcommands: [Copy.self, Backup.self, Check.self])

    struct Backup: JSONCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up the SQLite database to FILE while servers run (online backup API, verified); PostgreSQL: prints the pg_dump line.",
            discussion: """
            The copy is written beside FILE, checked with PRAGMA integrity_check, and only then renamed to FILE (mode \
            0600, one self-contained file). Prints {"file", "bytes", "pages", "integrity", "schema_version"}. On \
            PostgreSQL it exits 2 with the pg_dump command line for the configured database (no password).
            """)
        @OptionGroup var common: CommonOptions
        @Argument(help: "The backup file.") var file: String
        @Flag(help: "Replace FILE if it exists.") var force = false

        func output() throws(UserCommands.Failure) -> String { try DatabaseAdmin.backup(config: common.load(), file: file, force: force) }
    }

    struct Check: JSONCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the database: SQLite integrity, foreign keys and schema version; PostgreSQL connectivity and schema version.",
            discussion: "Prints a JSON report; exits 1 when it finds a problem.")
        @OptionGroup var common: CommonOptions

        func output() throws(UserCommands.Failure) -> String { try DatabaseAdmin.check(config: common.load()) }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite database into an empty PostgreSQL database (migrated first) in one transaction.",
            discussion: """
            Stop every fluxer-auth process using the source first. The source is read in one snapshot and never \
            written; the target must hold no rows. Prints {"tables": {name: rows}, "rows": N, "target": URL} \
            (no password). The password can stay out of the process list: leave it out of the URL and set \
            PGPASSWORD, or use ~/.pgpass.
            """)

        @Option(help: "The SQLite database: sqlite:PATH or a path.") var from: String
        @Option(help: "The PostgreSQL database: postgresql://user@host:port/db (or postgres://).") var to: String

        func run() throws {
            do {
                print(try DatabaseCopy.run(from: from, to: to).json)
            } catch {
                fail(error.description, code: error.exitCode)
            }
        }
    }
}
