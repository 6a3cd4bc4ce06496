import FluxerPersistence
import FluxerDomain
import ArgumentParser
import FluxerAPI

/// `fluxer-auth db …`: whole-database operations (issue 13: `copy`; `backup` and `check` join later).
struct DatabaseCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Whole-database operations.", subcommands: [Copy.self])

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
