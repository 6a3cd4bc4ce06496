import SQLite

/// `fluxer-auth migrate`: applies pending migrations without serving.
public enum MigrateCommand {
    /// Applies migrations and returns (versions applied now, current version).
    public static func run(config: Config) throws(StartupError) -> (applied: [Int], version: Int) {
        let database: Database
        do {
            database = try Database(path: config.databasePath, readerCount: 1,
                                    busyTimeoutMilliseconds: Int32(config.databaseBusyTimeoutMilliseconds))
        } catch {
            throw .database("cannot open \(config.databasePath): \(error)")
        }
        defer { database.close() }
        let migrator = Migrator(migrations: try Migrations.load(config))
        do {
            let applied = try migrator.migrate(database)
            return (applied, try migrator.status(database).currentVersion)
        } catch {
            throw .database("\(error)")
        }
    }
}
