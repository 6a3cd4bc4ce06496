import SQLite

/// The schema migrations this binary applies: built in (from `migrations/` at build time), or read from
/// `database.migrations_dir` when an operator points there.
enum Migrations {
    static func load(_ config: Config) throws(StartupError) -> [Migration] {
        guard !config.migrationsDirectory.isEmpty else { return EmbeddedMigrations.all }
        do {
            return try Migration.load(directory: config.migrationsDirectory)
        } catch {
            throw .database(error.description)
        }
    }
}
