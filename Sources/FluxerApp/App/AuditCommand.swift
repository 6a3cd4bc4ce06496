import FluxerAPI
#if canImport(Glibc)
import Glibc
#endif
import FluxerPersistence
import SQLite
import FluxerDomain
import FluxerJSON

/// `fluxer-auth audit [--user ID] [--since T] [--follow]`: audit events as JSON lines, oldest first.
public enum AuditCommand {
    /// Prints matching events; with `follow`, keeps polling every 500 ms until interrupted.
    public static func run(config: Config, user: String?, since: String?, follow: Bool, print: (String) -> Void) throws(UserCommands.Failure) {
        var userID: UInt64?
        if let user {
            guard let id = Snowflake.parse(user) else { throw .invalid("user: must be a user id") }
            userID = id
        }
        var sinceMs: Int64 = 0
        if let since {
            if let days = ISO8601.daysFromCivil(String(since.prefix(10))), since.count == 10 {
                sinceMs = days * 86_400_000
            } else if let seconds = Int64(since), since.allSatisfy(\.isNumber) {
                sinceMs = seconds * 1000
            } else {
                throw .invalid("since: use YYYY-MM-DD or unix seconds")
            }
        }
        let database: DataStore
        do { database = try config.openDatabase() } catch { throw .startup(error) }
        defer { database.close() }
        var last: Int64 = 0
        repeat {
            let events: [(Int64, JSONValue)]
            do {
                events = try database.read { try AuditLog.query($0, userID: userID, since: sinceMs, afterID: last, limit: 1000) }
            } catch {
                throw .invalid("database: \(error) (run `fluxer-auth migrate` first?)")
            }
            for (id, event) in events {
                print(event.serialized)
                last = id
            }
            if follow && events.count < 1000 { usleep(500_000) }
        } while follow
    }
}
