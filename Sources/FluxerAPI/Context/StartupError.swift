import Postgres
import FluxerPersistence
import SQLite

/// Why the server refused to start; the CLI prints the description as one line and exits non-zero.
public enum StartupError: Error, CustomStringConvertible {
    /// A configuration problem (exit 2).
    case config(ConfigError)
    /// The database could not be opened, is damaged, or its schema does not match this binary (exit 1).
    case database(String)
    /// The secret key file could not be read or created (exit 1).
    case secretKey(String)
    /// A listen address could not be bound (exit 1).
    case listen(String)
    /// No snowflake worker id could be leased: all 1024 are held by live processes (exit 1).
    case workerIDs(String)

    /// One line for the operator.
    public var description: String {
        switch self {
        case .config(let e): e.description
        case .database(let m): "database: \(m)"
        case .secretKey(let m): "secret key: \(m)"
        case .listen(let m): "listen: \(m)"
        case .workerIDs(let m): "worker id: \(m)"
        }
    }

    /// `database.url` given to a command that has no PostgreSQL path yet: only `migrate` has one (issue 13);
    /// refusing beats silently serving from a SQLite file the operator did not ask for.
    /// The process exit status for this error.
    public var exitCode: Int32 {
        if case .config = self { return 2 }
        return 1
    }
}

extension Config {
    /// Opens the configured database with the configured busy timeout: the one way the server and every CLI
    /// command open it, so `user create` run beside a live server waits for the write lock as long as the server
    /// would (`database.busy_timeout_ms`) instead of a hard-coded default.
    ///
    /// With `database.url` it opens a PostgreSQL pool instead (`database.pool_size` connections; one for the
    /// CLI): a server that cannot be reached or refuses the login is a configuration problem, exit 2 with one
    /// line naming `database.url` and never the password.
    package func openDatabase(readers: Int = 1, poolSize: Int? = nil, purpose: String = "fluxer-auth") throws(StartupError) -> DataStore {
        if let url = databaseURL {
            do {
                // Every write is SERIALIZABLE: under contention (many nodes and CLI runs inserting users at
                // once) a transaction may lose several conflicts in a row before it wins, so it gets 20 runs with
                // a jittered, growing backoff rather than the driver's default 5.
                let configuration = try PostgresConfiguration(
                    url: url, poolSize: poolSize ?? 1, checkoutTimeoutMilliseconds: max(100, databaseBusyTimeoutMilliseconds),
                    maxTransactionAttempts: Self.postgresTransactionAttempts, applicationName: purpose)
                return DataStore(postgres: try PostgresDatabase(configuration: configuration))
            } catch {
                throw .config(ConfigError(key: "database.url", reason: "\(error) (\(url))"))
            }
        }
        do {
            return DataStore(sqlite: try Database(path: databasePath, readerCount: readers,
                                                  busyTimeoutMilliseconds: Int32(databaseBusyTimeoutMilliseconds)))
        } catch {
            throw .database("cannot open \(databasePath): \(error)")
        }
    }

    /// Runs of one PostgreSQL write transaction before a serialization failure is reported (503).
    package static let postgresTransactionAttempts = 20

    /// Where the data lives, for log lines and CLI messages (the URL without its password).
    public var databaseDescription: String {
        databaseURL.map { "\($0)" } ?? databasePath
    }
}
