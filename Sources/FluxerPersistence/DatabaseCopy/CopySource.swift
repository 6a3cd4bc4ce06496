import FluxerDomain
#if canImport(Glibc)
import Glibc
#endif
import SQLite

/// What the copy needs to know about the SQLite source, read inside the snapshot the rows are copied from.
package struct CopySource {
    package let path: String
    /// Application tables (neither SQLite's own nor `schema_migrations`) and their column names.
    package var tables: [String: [String]] = [:]
    /// Rows per table in the snapshot.
    package var counts: [String: Int64] = [:]
    /// `sqlite_sequence`: the highest id each AUTOINCREMENT table ever handed out, deleted rows included.
    package var sequences: [String: Int64] = [:]
    /// Per used worker id, the timestamp its next holder must mint above: `floor_ms`, raised to `expires_at` for a
    /// lease that ended without a release (WorkerLeaseStorage: "taking a row raises its floor to the old
    /// `expires_at`").
    package var workerFloors: [(workerID: Int64, floor: Int64)] = []

    /// Opens the file read-only, refusing a missing path before SQLite could create anything there.
    package static func open(_ path: String) throws(DatabaseCopyError) -> ReadOnlyDatabase {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .sourceMissing(path: path) }
            throw .sourceUnreadable(path: path, reason: "cannot stat the file (errno \(errno))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .sourceUnreadable(path: path, reason: "not a regular file")
        }
        do {
            return try ReadOnlyDatabase(path: path)
        } catch {
            throw .sourceUnreadable(path: path, reason: "\(error)")
        }
    }

    /// Checks the schema version and that no process is writing, then reads the tables, counts and lease floors.
    package static func read(_ snapshot: ReadOnlySnapshot, path: String, now: Int64) throws(DatabaseCopyError) -> CopySource {
        do {
            try checkVersion(snapshot, path: path)
            var source = CopySource(path: path)
            let names = try snapshot.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                    + "AND name <> 'schema_migrations' ORDER BY name"
            ).compactMap { $0.string("name") }
            for name in names {
                source.tables[name] = try snapshot.query("SELECT name FROM pragma_table_info(?1) ORDER BY cid", [.text(name)])
                    .compactMap { $0.string("name") }
                source.counts[name] = try snapshot.query("SELECT count(*) AS n FROM \(quoted(name))").first?.int("n") ?? 0
            }
            if try !snapshot.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").isEmpty {
                for row in try snapshot.query("SELECT name, seq FROM sqlite_sequence") {
                    if let name = row.string("name"), let seq = row.int("seq") { source.sequences[name] = seq }
                }
            }
            source.workerFloors = try workerFloors(snapshot, path: path, now: now)
            return source
        } catch let error as DatabaseCopyError {
            throw error
        } catch {
            throw .sourceUnreadable(path: path, reason: "\(error)")
        }
    }

    /// The source must be exactly at this binary's latest SQLite schema, so its tables are the ones the
    /// PostgreSQL migrations mirror.
    private static func checkVersion(_ snapshot: ReadOnlySnapshot, path: String) throws {
        let known = EmbeddedMigrations.all
        let latest = known.map(\.version).max() ?? 0
        guard try !snapshot.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").isEmpty
        else {
            throw DatabaseCopyError.sourceUnreadable(path: path, reason: "no schema_migrations table: not a fluxer-auth database")
        }
        let applied = try snapshot.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        let versions = Set(applied.compactMap { $0.int("version").map(Int.init) })
        let current = versions.max() ?? 0
        if current > latest { throw DatabaseCopyError.sourceVersion(path: path, version: current, latest: latest) }
        // A gap counts as standing just below it: the migrations from there on are pending.
        if let missing = (1...latest).first(where: { !versions.contains($0) }) {
            throw DatabaseCopyError.sourceVersion(path: path, version: missing - 1, latest: latest)
        }
        let checksums = Dictionary(uniqueKeysWithValues: known.map { ($0.version, $0.checksum) })
        for row in applied {
            guard let version = row.int("version").map(Int.init), row.string("checksum") == checksums[version] else {
                throw DatabaseCopyError.sourceEdited(path: path, version: row.int("version").map(Int.init) ?? 0)
            }
        }
    }

    /// Refuses a source with a live worker-id lease (a server or CLI command still running on it: whatever it
    /// writes after the snapshot would be lost), and returns the floor of every worker id ever used.
    private static func workerFloors(_ snapshot: ReadOnlySnapshot, path: String, now: Int64) throws -> [(workerID: Int64, floor: Int64)] {
        let rows = try snapshot.query(
            "SELECT worker_id, holder, pid, hostname, expires_at, floor_ms FROM worker_leases ORDER BY worker_id")
        var floors: [(workerID: Int64, floor: Int64)] = []
        for row in rows {
            guard let id = row.int("worker_id") else { continue }
            let expiresAt = row.int("expires_at") ?? 0
            if row.string("holder") != nil && expiresAt > now {
                throw DatabaseCopyError.sourceInUse(path: path, workerID: id, pid: row.int("pid"), hostname: row.string("hostname"))
            }
            let floor = max(row.int("floor_ms") ?? 0, expiresAt)
            if floor > 0 { floors.append((id, floor)) }
        }
        return floors
    }
}

/// An SQL identifier in double quotes (SQL:2016 §5.2, the same in SQLite and PostgreSQL): names come from the
/// catalogs, and quoting keeps any of them one identifier.
package func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacing("\"", with: "\"\"") + "\""
}
