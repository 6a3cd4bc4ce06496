internal import CFluxerShim

/// A prepared statement owned by one `Connection`. Not shared across threads.
final class Statement {
    let handle: OpaquePointer
    private let db: OpaquePointer
    private var finalized = false

    /// Prepares exactly one SQL statement; trailing whitespace and semicolons are allowed.
    init(db: OpaquePointer, sql: String) throws(SQLiteError) {
        self.db = db
        var stmt: OpaquePointer?
        var tailIsEmpty = true
        let rc = sql.withCString { cSQL -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(db, cSQL, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, &tail)
            if rc == SQLITE_OK, var rest = tail {
                while rest.pointee != 0 {
                    let c = UInt8(bitPattern: rest.pointee)
                    if c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09 && c != 0x3B {
                        tailIsEmpty = false
                        break
                    }
                    rest += 1
                }
            }
            return rc
        }
        guard rc == SQLITE_OK else {
            let error = SQLiteError.from(db)
            sqlite3_finalize(stmt)
            throw error
        }
        guard let stmt else {
            throw SQLiteError.misuse("empty SQL statement")
        }
        guard tailIsEmpty else {
            sqlite3_finalize(stmt)
            throw SQLiteError.misuse("run and query accept exactly one SQL statement")
        }
        self.handle = stmt
    }

    deinit { finalize() }

    func finalize() {
        guard !finalized else { return }
        finalized = true
        sqlite3_finalize(handle)
    }

    /// Binds all parameters; the count must match the statement's parameter count.
    func bind(_ args: [SQLiteBindable?]) throws(SQLiteError) {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == args.count else {
            throw SQLiteError(
                code: SQLITE_RANGE, extendedCode: SQLITE_RANGE,
                message: "statement expects \(expected) arguments, got \(args.count)")
        }
        for (offset, arg) in args.enumerated() {
            let rc = bind(arg?.sqliteValue ?? .null, at: Int32(offset + 1))
            guard rc == SQLITE_OK else { throw rc == SQLITE_TOOBIG ? SQLiteError.code(rc) : SQLiteError.from(db) }
        }
    }

    private func bind(_ value: SQLiteValue, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let v):
            return sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            return sqlite3_bind_double(handle, index, v)
        case .text(let v):
            guard v.utf8.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
            var copy = v
            return copy.withUTF8 { buf in
                guard let base = buf.baseAddress, buf.count > 0 else {
                    return fx_sqlite_bind_text(handle, index, "", 0)
                }
                return base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    fx_sqlite_bind_text(handle, index, $0, Int32(buf.count))
                }
            }
        case .blob(let v):
            guard v.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
            return v.withUnsafeBytes { buf in
                guard let base = buf.baseAddress, buf.count > 0 else {
                    return sqlite3_bind_zeroblob(handle, index, 0)
                }
                return fx_sqlite_bind_blob(handle, index, base, Int32(buf.count))
            }
        }
    }

    /// Steps to completion, collecting rows when `collect` is true.
    func execute(collect: Bool) throws(SQLiteError) -> [Row] {
        var rows: [Row] = []
        var names: [String]?
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw SQLiteError.from(db) }
            guard collect else { continue }
            let count = sqlite3_column_count(handle)
            if names == nil {
                names = (0..<count).map { String(cString: sqlite3_column_name(handle, $0)) }
            }
            rows.append(Row(columnNames: names ?? [], values: (0..<count).map(column)))
        }
    }

    func column(_ i: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, i))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, i))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, i) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, i))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            guard let bytes = sqlite3_column_blob(handle, i) else { return .blob([]) }
            let count = Int(sqlite3_column_bytes(handle, i))
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    /// Makes the statement ready for the next use.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
