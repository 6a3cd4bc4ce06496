import FluxerDomain
import FluxerAPI
import Postgres
import SQLite
import FluxerPersistence

/// `fluxer-auth migrate`: applies pending migrations without serving, to the SQLite file or, with
/// `database.url`, to PostgreSQL (its own numbered migrations, under an advisory lock so nodes starting together
/// migrate once).
public enum MigrateCommand {
    /// Applies migrations and returns (versions applied now, current version).
    public static func run(config: Config) throws(StartupError) -> (applied: [Int], version: Int) {
        if let url = config.databaseURL { return try runPostgres(url) }
        let store = try config.openDatabase()
        defer { store.close() }
        let database = store.sqlite!
        do {
            let migrator = Migrator(migrations: try Migrations.load(directory: config.migrationsDirectory))
            let applied = try migrator.migrate(database)
            return (applied, try migrator.status(database).currentVersion)
        } catch {
            throw .database("\(error)")
        }
    }

    /// PostgreSQL: an unreachable server or a refused login is a configuration problem at start (exit 2, one
    /// line naming `database.url`, no password); a refused migration (edited, or a newer database) exits 1.
    static func runPostgres(_ url: PostgresURL) throws(StartupError) -> (applied: [Int], version: Int) {
        let database: PostgresDatabase
        do {
            database = try PostgresDatabase(configuration: PostgresConfiguration(url: url, poolSize: 1, applicationName: "fluxer-auth migrate"))
        } catch {
            throw .config(ConfigError(key: "database.url", reason: "\(error) (\(url))"))
        }
        defer { database.close() }
        let migrator = PostgresMigrator(migrations: EmbeddedPostgresMigrations.all)
        do {
            let applied = try migrator.migrate(database)
            return (applied, try migrator.status(database).currentVersion)
        } catch {
            throw .database("\(error)")
        }
    }
}
