import Synchronization

/// Turns the stores' `?` placeholders into PostgreSQL's numbered ones (`$1`, `$2` …), leaving question marks
/// inside string literals, quoted identifiers and comments alone; SQLite's `?NNN` becomes `$NNN` (PostgreSQL docs §4.1 "Lexical Structure").
enum PostgresPlaceholders {
    /// Rewritten statements by their source text. The stores' SQL is a fixed set of literals, so this stays
    /// small; it is capped anyway, against statements built at run time.
    private static let cache = Mutex<[String: String]>([:])
    private static let cacheLimit = 1024

    static func number(_ sql: String) -> String {
        if let cached = cache.withLock({ $0[sql] }) { return cached }
        let rewritten = rewrite(sql)
        cache.withLock { cache in
            if cache.count < cacheLimit { cache[sql] = rewritten }
        }
        return rewritten
    }

    static func rewrite(_ sql: String) -> String {
        let bytes = Array(sql.utf8)
        guard bytes.contains(UInt8(ascii: "?")) else { return sql }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var index = 0
        var number = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A quoted literal or identifier; a doubled quote inside it is an escaped quote.
                out.append(byte)
                index += 1
                while index < bytes.count {
                    out.append(bytes[index])
                    if bytes[index] == byte {
                        if index + 1 < bytes.count && bytes[index + 1] == byte {
                            out.append(byte)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") {
                    out.append(bytes[index])
                    index += 1
                }
            case UInt8(ascii: "?"):
                out.append(UInt8(ascii: "$"))
                index += 1
                if index < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    // `?NNN` names its parameter: the same number in PostgreSQL's spelling.
                    while index < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                        out.append(bytes[index])
                        index += 1
                    }
                } else {
                    number += 1
                    out.append(contentsOf: String(number).utf8)
                }
            default:
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
