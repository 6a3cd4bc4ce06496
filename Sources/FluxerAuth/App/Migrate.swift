import SQLite

/// `fluxer-auth migrate`: applies pending migrations without serving.
public enum MigrateCommand {
    /// Applies migrations and returns (versions applied now, current version).
    public static func run(config: Config) throws(StartupError) -> (applied: [Int], version: Int) {
        let database = try config.openDatabase()
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
