import FluxerAPI
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import SQLite
#if canImport(Glibc)
import Glibc
#endif

/// `fluxer-auth db backup FILE` and `db check`. Neither migrates: they look at the database as it is.
public enum DatabaseAdmin {
    typealias Failure = UserCommands.Failure

    /// The `pg_dump` line that backs up `url` (without its password: libpq takes it from PGPASSWORD or ~/.pgpass).
    static func pgDumpCommand(url: String, file: String) -> String {
        "pg_dump --format=custom --file=\(shellQuoted(file)) \(shellQuoted(url))"
    }

    static func shellQuoted(_ text: String) -> String {
        var quoted = "'"
        for c in text { quoted += c == "'" ? #"'\''"# : String(c) }
        return quoted + "'"
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// SQLite: a consistent copy through the online backup API while servers keep running, verified with
    /// `PRAGMA integrity_check` before it takes `file`'s name; an existing `file` is replaced only with `force`.
    /// Prints `{file, bytes, pages, integrity, schema_version}`. PostgreSQL: refused (exit 2) with the `pg_dump`
    /// line to run instead.
    public static func backup(config: Config, file: String, force: Bool) throws(UserCommands.Failure) -> String {
        if let url = config.databaseURL {
            throw .refused("db backup: PostgreSQL is backed up with pg_dump, not by fluxer-auth: run "
                + pgDumpCommand(url: url.description, file: file) + " (the password from PGPASSWORD or ~/.pgpass)")
        }
        guard !file.isEmpty else { throw .invalid("file: required") }
        let path = config.databasePath
        guard exists(path) else { throw .invalid("database: no SQLite database at \(path)") }
        guard !sameFile(file, path), !sameFile(file, path + "-wal") else { throw .invalid("file: \(file) is the database itself") }
        if exists(file) && !force { throw .refused("db backup: \(file) exists; nothing was changed, give --force to replace it") }
        let database: DataStore
        do { database = try config.openDatabase() } catch { throw .startup(error) }
        defer { database.close() }
        do {
            let summary = try database.sqlite!.backup(to: file, replacing: force)
            let version = try SchemaMigrator(postgres: false, migrationsDirectory: config.migrationsDirectory).status(database).currentVersion
            return JSONValue.object([
                ("file", .string(summary.path)), ("bytes", .int(summary.bytes)), ("pages", .int(Int64(summary.pages))),
                ("integrity", "ok"), ("schema_version", .int(Int64(version))),
            ]).serialized
        } catch BackupError.exists(let path) {
            throw .refused("db backup: \(path) exists; nothing was changed, give --force to replace it")
        } catch {
            throw .invalid("db backup: \(error)")
        }
    }

    /// SQLite: `integrity_check`, `foreign_key_check` and whether every migration this binary knows is applied;
    /// PostgreSQL: that the server answers, and the schema version. Prints the report; a problem (or a database
    /// that cannot be opened) is `Failure.problems` (the report still printed, exit 1).
    public static func check(config: Config) throws(UserCommands.Failure) -> String {
        var report: [(String, JSONValue)] = [
            ("backend", .string(config.databaseURL == nil ? "sqlite" : "postgresql")), ("database", .string(config.databaseDescription)),
        ]
        var problems: [String] = []
        if config.databaseURL == nil && !exists(config.databasePath) {
            problems.append("no SQLite database at \(config.databasePath)")
            return try finish(report + [("ok", false), ("problems", .array(problems.map(JSONValue.string)))], problems)
        }
        let database: DataStore
        do {
            database = try config.openDatabase()
        } catch {
            problems.append(error.description)
            report.append(("connected", false))
            return try finish(report + [("ok", false), ("problems", .array(problems.map(JSONValue.string)))], problems)
        }
        defer { database.close() }
        report.append(("connected", true))
        do {
            let (integrity, foreignKeys) = try database.read { db in
                (try DatabaseCheckStore.integrityProblems(in: db), try DatabaseCheckStore.foreignKeyViolations(in: db))
            }
            problems += integrity.map { "integrity: \($0)" }
            problems += foreignKeys.map { "foreign key: \($0.table) row \($0.rowID.map(String.init) ?? "?") references a missing \($0.parent) row" }
            report.append(("integrity", integrity.isEmpty ? "ok" : .array(integrity.map(JSONValue.string))))
            report.append(("foreign_key_violations", .array(foreignKeys.map { v in
                JSONValue.object([("table", .string(v.table)), ("rowid", v.rowID.map(JSONValue.int) ?? .null), ("parent", .string(v.parent))])
            })))
            let status = try SchemaMigrator(postgres: config.databaseURL != nil, migrationsDirectory: config.migrationsDirectory).status(database)
            if status.currentVersion < status.latestKnownVersion {
                problems.append("schema: version \(status.currentVersion), this binary's is \(status.latestKnownVersion) (run fluxer-auth migrate)")
            } else if status.currentVersion > status.latestKnownVersion {
                problems.append("schema: version \(status.currentVersion) is newer than this binary's \(status.latestKnownVersion)")
            }
            report.append(("schema", .object([("version", .int(Int64(status.currentVersion))),
                                              ("latest", .int(Int64(status.latestKnownVersion))),
                                              ("current", .bool(status.currentVersion == status.latestKnownVersion))])))
        } catch {
            problems.append("database: \(error)")
        }
        return try finish(report + [("ok", .bool(problems.isEmpty)), ("problems", .array(problems.map(JSONValue.string)))], problems)
    }

    private static func finish(_ report: [(String, JSONValue)], _ problems: [String]) throws(Failure) -> String {
        let text = JSONValue.object(report).serialized
        guard problems.isEmpty else {
            throw .problems(report: text, summary: "db check: \(problems.count) problem(s): \(problems[0])")
        }
        return text
    }
}
