import Glibc
import FluxerDomain
import Postgres
import SQLite

/// `fluxer-auth db copy --from sqlite:FILE --to postgresql://…`: moves a SQLite install to PostgreSQL.
///
/// 1. The source is opened read-only (never created) and read in one transaction, so the copy is one consistent
///    snapshot; it must be at this binary's latest SQLite schema, and no process may hold a worker-id lease on it.
/// 2. The target is migrated with the embedded PostgreSQL migrations (`PostgresMigrator` under its advisory lock, as `fluxer-auth migrate`) unless one of
///    its tables already holds rows: only an empty database is filled, never merged into.
/// 3. One PostgreSQL transaction checks emptiness again, copies every table in foreign-key order (values
///    converted by the target column's type), moves the identity sequences past the copied ids and carries the
///    snowflake worker floors over. Any failure rolls all of it back.
/// 4. After the commit every table's row count is compared with the source's.
public enum DatabaseCopy {
    /// The wall clock in Unix milliseconds (the source's lease times are wall-clock times).
    public static func wallMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Copies and returns what was copied; `now` (Unix ms) decides which source leases are live.
    public static func run(from: String, to: String, now: Int64 = DatabaseCopy.wallMilliseconds()) throws(DatabaseCopyError) -> DatabaseCopySummary {
        let path = try sourcePath(from)
        let url: PostgresURL
        do {
            url = try PostgresURL(to)
        } catch {
            throw .invalidTarget(reason: error.message)
        }
        let source = try CopySource.open(path)
        defer { source.close() }
        do {
            return try source.read { snapshot throws(DatabaseCopyError) in
                let state = try CopySource.read(snapshot, path: path, now: now)
                return try copy(state, snapshot, to: url)
            }
        } catch let error as DatabaseCopyError {
            throw error
        } catch {
            throw .sourceUnreadable(path: path, reason: "\(error)")
        }
    }

    /// The file `--from` names: `sqlite:PATH` or a bare path. Other URL schemes are refused rather than taken
    /// for a relative path.
    package static func sourcePath(_ argument: String) throws(DatabaseCopyError) -> String {
        if argument.hasPrefix("sqlite:") {
            let path = String(argument.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .invalidSource(reason: "sqlite: names no file") }
            return path
        }
        guard !argument.isEmpty else { throw .invalidSource(reason: "empty; give sqlite:PATH") }
        guard !argument.contains("://") else {
            throw .invalidSource(reason: "the copy reads a SQLite file: give sqlite:PATH or a path")
        }
        return argument
    }

    private static func copy(_ source: CopySource, _ snapshot: ReadOnlySnapshot, to url: PostgresURL) throws(DatabaseCopyError) -> DatabaseCopySummary {
        let target = url.description
        let database: PostgresDatabase
        do {
            database = try PostgresDatabase(configuration: PostgresConfiguration(
                url: url, poolSize: 1, checkoutTimeoutMilliseconds: 10_000, maxTransactionAttempts: 3,
                applicationName: "fluxer-auth db copy"))
        } catch {
            throw .targetUnreachable(target: target, reason: error.description)
        }
        defer { database.close() }

        // Before migrating: a used database is refused with nothing changed, whatever its schema version.
        let candidates = Set(source.tables.keys).union([CopyPlan.workerLeases, "job_leases"]).sorted()
        let occupied = try onTarget(target) { try database.read { try CopyPlan.occupiedTable(among: candidates, in: $0) } }
        if let table = occupied { throw .targetNotEmpty(target: target, table: table) }
        do {
            _ = try PostgresMigrator(migrations: EmbeddedPostgresMigrations.all).migrate(database)
        } catch {
            throw .failed("migrating the target: \(error)")
        }
        let plan = try onTarget(target) { try database.read { try CopyPlan.make(source: source, target: $0) } }

        try onTarget(target) {
            try database.write { connection in
                if let table = try CopyPlan.occupiedTable(among: plan.guardedTables, in: connection) {
                    throw DatabaseCopyError.targetNotEmpty(target: target, table: table)
                }
                for table in plan.tables {
                    let rows = try TableCopy.copy(table, from: snapshot, to: connection, sequences: source.sequences)
                    guard rows == source.counts[table.name] else {
                        throw DatabaseCopyError.failed(
                            "table \(table.name): \(rows) rows inserted but the source holds \(source.counts[table.name] ?? 0)")
                    }
                }
                try TableCopy.mergeWorkerLeases(source.workerFloors, into: connection)
            }
        }

        // After the commit: what the target holds now, table by table, against the snapshot.
        let verified = plan.tables.map(\.name) + [CopyPlan.workerLeases]
        let counts = try onTarget(target) {
            try database.read { connection in
                try verified.map { table in
                    (table, try connection.queryOne("SELECT count(*) AS n FROM \(quoted(table))")?.int("n") ?? 0)
                }
            }
        }
        for (table, rows) in counts where rows != source.counts[table] ?? 0 {
            throw .verificationFailed(table: table, source: source.counts[table] ?? 0, target: rows)
        }
        return DatabaseCopySummary(tables: counts.sorted { $0.0 < $1.0 }.map { (name: $0.0, rows: $0.1) }, target: target)
    }

    /// Runs a step against the target, passing `DatabaseCopyError`s on and naming the target in any other.
    private static func onTarget<T>(_ target: String, _ body: () throws -> T) throws(DatabaseCopyError) -> T {
        do {
            return try body()
        } catch let error as DatabaseCopyError {
            throw error
        } catch let error as PostgresError where error.kind == .connectionFailed || error.kind == .unavailable {
            throw .targetUnreachable(target: target, reason: error.description)
        } catch {
            throw .failed("target \(target): \(error)")
        }
    }
}
