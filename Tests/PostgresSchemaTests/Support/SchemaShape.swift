import Postgres
import SQLite

/// One table's structure as both backends can report it: columns in order, keys, indexes and foreign keys.
/// Read from SQLite it holds SQLite's declared types and default texts; the parity test translates those to
/// PostgreSQL's terms before comparing.
struct TableShape: Equatable, CustomStringConvertible {
    var columns: [ColumnShape] = []
    var primaryKey: [String] = []
    /// Column lists of UNIQUE constraints (not of unique indexes, which are in `indexes`).
    var uniqueConstraints: Set<[String]> = []
    /// Named indexes, sorted by name (neither the primary key's nor a unique constraint's).
    var indexes: [IndexShape] = []
    var foreignKeys: Set<ForeignKeyShape> = []

    var description: String {
        "columns \(columns), primary key \(primaryKey), unique \(uniqueConstraints.sorted { $0.lexicographicallyPrecedes($1) }), "
            + "indexes \(indexes), foreign keys \(foreignKeys.sorted { $0.description < $1.description })"
    }
}

struct ColumnShape: Equatable, CustomStringConvertible {
    var name: String
    var type: String
    var isNullable: Bool
    /// The default's text, normalised (`0`, `false`, `'[]'`), or nil.
    var defaultValue: String?
    /// Values are assigned by the database when the insert leaves the column out.
    var isIdentity: Bool

    var description: String {
        "\(name) \(type)\(isNullable ? "" : " not null")\(defaultValue.map { " default \($0)" } ?? "")\(isIdentity ? " identity" : "")"
    }
}

struct IndexShape: Hashable, CustomStringConvertible {
    var name: String
    var isUnique: Bool
    /// Column names or normalised expressions, in key order.
    var columns: [String]
    /// The normalised WHERE of a partial index.
    var predicate: String?

    var description: String {
        "\(isUnique ? "unique " : "")\(name)(\(columns.joined(separator: ", ")))\(predicate.map { " where \($0)" } ?? "")"
    }
}

struct ForeignKeyShape: Hashable, CustomStringConvertible {
    var columns: [String]
    var referencedTable: String
    var referencedColumns: [String]
    /// `CASCADE`, `NO ACTION`, `SET NULL`, `SET DEFAULT` or `RESTRICT`.
    var onDelete: String

    var description: String {
        "(\(columns.joined(separator: ", "))) → \(referencedTable)(\(referencedColumns.joined(separator: ", "))) on delete \(onDelete)"
    }
}

/// Expressions and predicates compare without case, spaces or parentheses (the backends print them differently).
func normaliseExpression(_ text: String) -> String {
    String(text.lowercased().filter { !$0.isWhitespace && $0 != "(" && $0 != ")" })
}

// MARK: - SQLite

enum SQLiteSchema {
    /// Every application table (not SQLite's own, not the migrator's).
    static func read(_ database: Database) throws -> [String: TableShape] {
        try database.read { connection in
            let tables = try connection.query(
                """
                SELECT name, sql FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'
                """)
            var shapes: [String: TableShape] = [:]
            for table in tables {
                let name = table.string("name") ?? ""
                shapes[name] = try shape(of: name, createSQL: table.string("sql") ?? "", connection)
            }
            return shapes
        }
    }

    private static func shape(of table: String, createSQL: String, _ connection: Connection) throws -> TableShape {
        var shape = TableShape()
        let columns = try connection.query(
            #"SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid"#, table)
        let withoutRowid = createSQL.uppercased().contains("WITHOUT ROWID")
        let keyed = columns.filter { ($0.int("pk") ?? 0) > 0 }.sorted { ($0.int("pk") ?? 0) < ($1.int("pk") ?? 0) }
        shape.primaryKey = keyed.compactMap { $0.string("name") }
        // A WITHOUT ROWID table's key, and a rowid alias (INTEGER PRIMARY KEY), can never be NULL; other
        // SQLite primary keys can, unless declared NOT NULL.
        let rowidAlias = !withoutRowid && keyed.count == 1 && keyed[0].string("type")?.uppercased() == "INTEGER"
        shape.columns = columns.map { column in
            let isKey = (column.int("pk") ?? 0) > 0
            let notNull = column.int("notnull") == 1 || (isKey && (withoutRowid || rowidAlias))
            return ColumnShape(
                name: column.string("name") ?? "", type: (column.string("type") ?? "").uppercased(), isNullable: !notNull,
                defaultValue: column.string("dflt_value"), isIdentity: false)
        }
        for index in try connection.query(#"SELECT name, "unique", origin, partial FROM pragma_index_list(?)"#, table) {
            let name = index.string("name") ?? ""
            let keyColumns = try connection.query("SELECT seqno, name FROM pragma_index_info(?) ORDER BY seqno", name)
            switch index.string("origin") {
            case "pk":
                continue
            case "u":
                shape.uniqueConstraints.insert(keyColumns.compactMap { $0.string("name") })
            default:
                let sql = try connection.queryOne("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", name)?
                    .string("sql") ?? ""
                let (terms, predicate) = parseIndex(sql)
                // index_info names plain columns; an expression has no name and is taken from the SQL.
                let names = keyColumns.enumerated().map { offset, row in
                    row.string("name") ?? (offset < terms.count ? normaliseExpression(terms[offset]) : "?")
                }
                shape.indexes.append(IndexShape(
                    name: name, isUnique: index.int("unique") == 1, columns: names,
                    predicate: index.int("partial") == 1 ? predicate.map(normaliseExpression) : nil))
            }
        }
        shape.indexes.sort { $0.name < $1.name }
        var byID: [Int64: ForeignKeyShape] = [:]
        for key in try connection.query(
            #"SELECT id, seq, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq"#, table)
        {
            let id = key.int("id") ?? -1
            var foreign = byID[id] ?? ForeignKeyShape(
                columns: [], referencedTable: key.string("table") ?? "", referencedColumns: [],
                onDelete: key.string("on_delete") ?? "")
            foreign.columns.append(key.string("from") ?? "")
            foreign.referencedColumns.append(key.string("to") ?? "?")
            byID[id] = foreign
        }
        shape.foreignKeys = Set(byID.values)
        return shape
    }

    /// The key terms and the WHERE text of `CREATE [UNIQUE] INDEX name ON table (term, …) [WHERE …]`.
    static func parseIndex(_ sql: String) -> (terms: [String], predicate: String?) {
        let characters = Array(sql)
        guard let open = characters.firstIndex(of: "(") else { return ([], nil) }
        var depth = 0, terms: [String] = [], current = ""
        var index = open
        while index < characters.count {
            let character = characters[index]
            if character == "(" {
                depth += 1
                if depth == 1 { index += 1; continue }
            } else if character == ")" {
                depth -= 1
                if depth == 0 { break }
            } else if character == "," && depth == 1 {
                terms.append(current)
                current = ""
                index += 1
                continue
            }
            current.append(character)
            index += 1
        }
        terms.append(current)
        let rest = String(characters[min(index + 1, characters.count)...]).lowercased()
        guard let range = rest.firstRange(of: "where") else { return (terms, nil) }
        return (terms, String(rest[range.upperBound...]))
    }
}

// MARK: - PostgreSQL

enum PostgresSchema {
    /// Every table in the current schema except the migrator's.
    static func read(_ database: PostgresDatabase) throws -> [String: TableShape] {
        try database.read { connection in
            var shapes: [String: TableShape] = [:]
            for column in try connection.query(
                """
                SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
                FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'
                ORDER BY table_name, ordinal_position
                """)
            {
                shapes[column.string("table_name") ?? "", default: TableShape()].columns.append(ColumnShape(
                    name: column.string("column_name") ?? "", type: column.string("data_type") ?? "",
                    isNullable: column.string("is_nullable") == "YES",
                    defaultValue: column.string("column_default").map(withoutCast),
                    isIdentity: column.string("is_identity") == "YES"))
            }
            for index in try connection.query(
                """
                SELECT c.relname AS index_name, t.relname AS table_name, i.indisunique AS is_unique,
                       i.indisprimary AS is_primary,
                       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype = 'u')
                           AS is_constraint,
                       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
                       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                             FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)::text AS columns
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_class t ON t.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = current_schema() AND t.relname <> 'schema_migrations'
                ORDER BY c.relname
                """)
            {
                let table = index.string("table_name") ?? ""
                let columns = textArray(index.string("columns") ?? "{}")
                if index.bool("is_primary") == true {
                    shapes[table, default: TableShape()].primaryKey = columns
                } else if index.bool("is_constraint") == true {
                    shapes[table, default: TableShape()].uniqueConstraints.insert(columns)
                } else {
                    shapes[table, default: TableShape()].indexes.append(IndexShape(
                        name: index.string("index_name") ?? "", isUnique: index.bool("is_unique") == true,
                        columns: columns.map(normaliseExpression), predicate: index.string("predicate").map(normaliseExpression)))
                }
            }
            for key in try connection.query(
                """
                SELECT t.relname AS table_name, r.relname AS referenced_table,
                       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                             ORDER BY k.ord)::text AS columns,
                       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                             ORDER BY k.ord)::text AS referenced_columns,
                       con.confdeltype::text AS on_delete
                FROM pg_constraint con
                JOIN pg_class t ON t.oid = con.conrelid
                JOIN pg_class r ON r.oid = con.confrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE con.contype = 'f' AND n.nspname = current_schema()
                """)
            {
                let actions = ["a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"]
                shapes[key.string("table_name") ?? "", default: TableShape()].foreignKeys.insert(ForeignKeyShape(
                    columns: textArray(key.string("columns") ?? "{}"),
                    referencedTable: key.string("referenced_table") ?? "",
                    referencedColumns: textArray(key.string("referenced_columns") ?? "{}"),
                    onDelete: actions[key.string("on_delete") ?? ""] ?? "?"))
            }
            return shapes
        }
    }

    /// `'[]'::text` → `'[]'`; other defaults as printed.
    static func withoutCast(_ text: String) -> String {
        guard let range = text.ranges(of: "::").last,
              text[range.upperBound...].allSatisfy({ $0.isLetter || $0 == " " }) else { return text }
        return String(text[..<range.lowerBound])
    }

    /// The elements of a text array's output form, `{a,b}` or `{"lower(username)",discriminator}`.
    static func textArray(_ text: String) -> [String] {
        var elements: [String] = [], current = "", quoted = false, escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle()
            case "," where !quoted: elements.append(current); current = ""
            default: current.append(character)
            }
        }
        if !current.isEmpty || !elements.isEmpty { elements.append(current) }
        return elements
    }
}
