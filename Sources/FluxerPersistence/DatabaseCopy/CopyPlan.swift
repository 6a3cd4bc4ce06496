import FluxerDomain
import Postgres

/// One table to copy: its columns in the target's order, with the target's types, and the two statements that
/// move its rows.
package struct CopyTable: Sendable {
    package let name: String
    package let columns: [(name: String, kind: CopyColumnKind)]
    /// Identity columns (`sms_codes.id`, `audit_events.id`): copied as they are, then their sequence moves past.
    package let identityColumns: [String]

    /// Streams the rows from SQLite.
    package var selectSQL: String {
        "SELECT \(columns.map { quoted($0.name) }.joined(separator: ", ")) FROM \(quoted(name))"
    }

    /// Inserts one batch, `$1` being a JSON array of rows (`CopyBatch`). One parameter per batch keeps the
    /// statement the same for every batch (prepared once per table) and far below the 65535-parameter limit;
    /// each element is converted by the column's type (`CopyColumnKind.selectExpression`).
    package var insertSQL: String {
        let names = columns.map { quoted($0.name) }.joined(separator: ", ")
        let values = columns.enumerated().map { $1.kind.selectExpression(row: "r.v", index: $0) }.joined(separator: ", ")
        // BY DEFAULT identities accept given values anyway; OVERRIDING says that this is meant.
        let overriding = identityColumns.isEmpty ? "" : " OVERRIDING SYSTEM VALUE"
        return "INSERT INTO \(quoted(name)) (\(names))\(overriding) SELECT \(values) FROM jsonb_array_elements($1::jsonb) AS r(v)"
    }
}

/// Which tables the copy moves and in what order, from the source's tables and the migrated target's catalog.
package struct CopyPlan: Sendable {
    /// The target keeps its own migration history; job leases belong to running processes, not to the data; the
    /// cache-invalidation log concerns only the SQLite processes (PostgreSQL nodes use LISTEN/NOTIFY).
    package static let skippedTables: Set<String> = ["schema_migrations", "job_leases", "cache_invalidations"]
    /// Seeded by the migrations on both sides (one row per worker id): merged, not inserted.
    package static let workerLeases = "worker_leases"

    /// Tables in foreign-key order: each after every table it references.
    package let tables: [CopyTable]

    /// Every table whose rows must be absent from the target before the copy.
    package var guardedTables: [String] { tables.map(\.name) + [Self.workerLeases, "job_leases"] }

    /// Matches every source table with the target's: the same columns, each of a type the copy converts to.
    package static func make(source: CopySource, target connection: PostgresConnection) throws -> CopyPlan {
        var targetColumns: [String: [(name: String, dataType: String, isIdentity: Bool)]] = [:]
        for row in try connection.query(
            """
            SELECT c.table_name, c.column_name, c.data_type, c.is_identity
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """) {
            guard let table = row.string("table_name"), let column = row.string("column_name") else { continue }
            targetColumns[table, default: []].append((column, row.string("data_type") ?? "", row.string("is_identity") == "YES"))
        }
        var tables: [CopyTable] = []
        for (name, sourceColumns) in source.tables.sorted(by: { $0.key < $1.key }) where !skippedTables.contains(name) {
            guard let columns = targetColumns[name] else {
                throw DatabaseCopyError.schemaMismatch("table \(name) is in the SQLite source but not in the target")
            }
            if name == workerLeases { continue }
            if let extra = sourceColumns.first(where: { column in !columns.contains { $0.name == column } }) {
                throw DatabaseCopyError.schemaMismatch("column \(name).\(extra) is in the SQLite source but not in the target")
            }
            if let missing = columns.first(where: { !sourceColumns.contains($0.name) }) {
                throw DatabaseCopyError.schemaMismatch("column \(name).\(missing.name) is in the target but not in the SQLite source")
            }
            let kinds = try columns.map { column in
                guard let kind = CopyColumnKind(dataType: column.dataType) else {
                    throw DatabaseCopyError.schemaMismatch(
                        "column \(name).\(column.name) has type \(column.dataType) in the target, which the copy does not convert to")
                }
                return (name: column.name, kind: kind)
            }
            tables.append(CopyTable(name: name, columns: kinds, identityColumns: columns.filter(\.isIdentity).map(\.name)))
        }
        return CopyPlan(tables: try foreignKeyOrder(tables, connection))
    }

    /// Orders tables so that each comes after the tables its foreign keys reference (Kahn's algorithm, ties by
    /// name): every row's parent is then already in the target when it is inserted.
    private static func foreignKeyOrder(_ tables: [CopyTable], _ connection: PostgresConnection) throws -> [CopyTable] {
        let names = Set(tables.map(\.name))
        var parents: [String: Set<String>] = [:]
        for row in try connection.query(
            """
            SELECT child.relname AS child, parent.relname AS parent
            FROM pg_constraint k
            JOIN pg_class child ON child.oid = k.conrelid
            JOIN pg_class parent ON parent.oid = k.confrelid
            WHERE k.contype = 'f' AND child.relnamespace = current_schema()::regnamespace
            """) {
            guard let child = row.string("child"), let parent = row.string("parent"), child != parent,
                  names.contains(child), names.contains(parent) else { continue }
            parents[child, default: []].insert(parent)
        }
        var ordered: [CopyTable] = []
        var placed: Set<String> = []
        var remaining = tables.sorted { $0.name < $1.name }
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { parents[$0.name, default: []].isSubset(of: placed) }) else {
                throw DatabaseCopyError.schemaMismatch(
                    "the foreign keys of \(remaining.map(\.name).joined(separator: ", ")) form a cycle")
            }
            let table = remaining.remove(at: next)
            ordered.append(table)
            placed.insert(table.name)
        }
        return ordered
    }

    /// The first of `tables` that already holds rows in the target, or nil. `worker_leases` counts as holding
    /// rows once any lease was taken: its 1024 rows are the migration's own.
    package static func occupiedTable(among tables: [String], in connection: PostgresConnection) throws -> String? {
        let existing = Set(try connection.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).compactMap { $0.string("table_name") })
        for table in tables where existing.contains(table) {
            let used = table == workerLeases
                ? """
                  SELECT EXISTS (SELECT 1 FROM worker_leases WHERE holder IS NOT NULL OR pid IS NOT NULL
                      OR hostname IS NOT NULL OR started_at IS NOT NULL OR renewed_at IS NOT NULL
                      OR expires_at <> 0 OR floor_ms <> 0) AS used
                  """
                : "SELECT EXISTS (SELECT 1 FROM \(quoted(table))) AS used"
            if try connection.queryOne(used)?.bool("used") == true { return table }
        }
        return nil
    }
}
