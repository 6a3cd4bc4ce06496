import FluxerPersistence
import FluxerDomain
import FluxerAPI
#if canImport(Glibc)
import Glibc
#endif
import SQLite

/// `fluxer-auth outbox [--limit N] [--follow]`: reads the outbox straight from the database (no server
/// needed) and emits one JSON object per message, newest first; `follow` then polls every 500 ms and emits
/// new messages oldest first until the process is interrupted. Migrating is not its job: a missing database
/// or table is an error. Bodies are opened with the server key (`security.secret_key`, or the dev key file);
/// without it they show as sealed.
public enum OutboxCommand {
    /// How often `--follow` looks for new rows.
    public static let followIntervalMilliseconds = 500

    /// Runs the command, handing each JSON line to `emit`.
    public static func run(config: Config, limit: Int, follow: Bool, emit: (String) -> Void) throws(StartupError) {
        guard (1...10_000).contains(limit) else {
            throw .config(ConfigError(key: "limit", reason: "must be an integer from 1 to 10000"))
        }
        guard config.databaseURL != nil || access(config.databasePath, F_OK) == 0 else {
            throw .database("no database at \(config.databasePath); run `fluxer-auth migrate` or `fluxer-auth serve` first")
        }
        let database = try config.openDatabase()
        defer { database.close() }
        let seal = config.commandSecretKey().map(OutboxSeal.init(secret:))
        do {
            guard try OutboxReader.tableExists(database) else {
                throw StartupError.database("no outbox table in \(config.databaseDescription); run `fluxer-auth migrate` first")
            }
            let recent = try OutboxReader.recent(database, limit: limit, seal: seal)
            recent.forEach { emit($0.json.serialized) }
            guard follow else { return }
            var lastID = recent.first?.id ?? 0
            while true {
                usleep(UInt32(followIntervalMilliseconds * 1000))
                for message in try OutboxReader.after(database, id: lastID, limit: 500, seal: seal) {
                    emit(message.json.serialized)
                    lastID = message.id
                }
            }
        } catch let error as StartupError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }
}
