import FluxerDomain
import Postgres
import SQLite

/// Rows of one table on their way to PostgreSQL: a JSON array of row arrays, one element per column in the
/// table's column order, sent as the single parameter of `CopyTable.insertSQL`.
package struct CopyBatch {
    /// A batch is sent when it reaches either limit: few round trips, bounded memory on both sides.
    package static let maxRows = 2000
    package static let maxBytes = 4 << 20

    private var json: [UInt8] = [UInt8(ascii: "[")]
    package private(set) var rowCount = 0

    package var isFull: Bool { rowCount >= Self.maxRows || json.count >= Self.maxBytes }

    /// Appends one source row, converted for the target's column types.
    package mutating func append(_ row: Row, of table: CopyTable) throws(DatabaseCopyError) {
        if rowCount > 0 { json.append(UInt8(ascii: ",")) }
        json.append(UInt8(ascii: "["))
        for (index, column) in table.columns.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            do {
                try column.kind.encode(row[index], into: &json)
            } catch {
                throw .unconvertible(table: table.name, column: column.name, reason: error.description)
            }
        }
        json.append(UInt8(ascii: "]"))
        rowCount += 1
    }

    /// The finished JSON text.
    package consuming func text() -> String {
        json.append(UInt8(ascii: "]"))
        return String(decoding: json, as: UTF8.self)
    }
}

/// Moving rows inside the copy transaction.
package enum TableCopy {
    /// Streams `table` from the snapshot into the target in batches and returns the rows inserted; then moves
    /// its identity sequences past every id the source used.
    package static func copy(
        _ table: CopyTable, from snapshot: ReadOnlySnapshot, to connection: PostgresConnection, sequences: [String: Int64]
    ) throws(DatabaseCopyError) -> Int64 {
        var batch = CopyBatch()
        var inserted: Int64 = 0
        func flush() throws {
            guard batch.rowCount > 0 else { return }
            let full = batch
            batch = CopyBatch()
            inserted += Int64(try connection.run(table.insertSQL, full.text()))
        }
        do {
            try snapshot.forEachRow(table.selectSQL) { row in
                try batch.append(row, of: table)
                if batch.isFull { try flush() }
            }
            try flush()
            for column in table.identityColumns {
                try moveSequence(table: table.name, column: column, past: sequences[table.name] ?? 0, connection)
            }
        } catch let error as DatabaseCopyError {
            throw error
        } catch let error as SQLiteError {
            throw .failed("reading table \(table.name) from the source: \(error)")
        } catch {
            throw .failed("writing table \(table.name): \(error)")
        }
        return inserted
    }

    /// `setval` to the highest id the source ever handed out: the largest copied id, or SQLite's AUTOINCREMENT
    /// high-water mark when the newest rows were deleted (audit ids never repeat). The next insert gets the one
    /// after it (migrations/postgres/README.md "Why identity columns BY DEFAULT").
    private static func moveSequence(table: String, column: String, past sqliteSequence: Int64, _ connection: PostgresConnection) throws {
        let copiedMax = try connection.queryOne("SELECT max(\(quoted(column))) AS m FROM \(quoted(table))")?.int("m") ?? 0
        let high = max(copiedMax, sqliteSequence)
        guard high >= 1 else { return }  // nothing used yet: the sequence starts at 1 as it is
        try connection.run("SELECT setval(pg_get_serial_sequence($1, $2), $3)", quoted(table), column, high)
    }

    /// Carries each used worker id's floor into the target's seeded lease rows, with no holder: whoever leases
    /// that id next mints strictly above every id the SQLite install minted under it, so no snowflake is issued
    /// twice (WorkerLeaseStorage).
    package static func mergeWorkerLeases(_ floors: [(workerID: Int64, floor: Int64)], into connection: PostgresConnection) throws(DatabaseCopyError) {
        do {
            for (workerID, floor) in floors {
                let updated = try connection.run(
                    """
                    UPDATE worker_leases
                    SET holder = NULL, pid = NULL, hostname = NULL, started_at = NULL, renewed_at = NULL, expires_at = 0,
                        floor_ms = GREATEST(floor_ms, $2)
                    WHERE worker_id = $1
                    """, workerID, floor)
                guard updated == 1 else {
                    throw DatabaseCopyError.schemaMismatch("the target's worker_leases has no row for worker id \(workerID)")
                }
            }
        } catch let error as DatabaseCopyError {
            throw error
        } catch {
            throw .failed("writing table worker_leases: \(error)")
        }
    }
}
