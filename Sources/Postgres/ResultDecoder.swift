internal import CFluxerShim

/// Turns a `PGresult` in text format into rows (libpq docs §34.3.2 "Retrieving Query Result Information").
///
/// Results are requested in text format: every type has one (timestamps, `numeric`, `uuid` arrive as their
/// canonical text), and only the types below need decoding. `bytea` arrives in hex format, which each
/// connection selects with `SET bytea_output = 'hex'` (PostgreSQL docs §8.4.1).
enum ResultDecoder {
    typealias OID = BoundParameters.OID

    static func rows(_ result: OpaquePointer) -> [PostgresRow] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        guard rowCount > 0 else { return [] }
        let names = (0..<columnCount).map { PQfname(result, $0).map { String(cString: $0) } ?? "" }
        let types = (0..<columnCount).map { PQftype(result, $0) }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [PostgresValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) != 0 {
                    values.append(.null)
                    continue
                }
                let length = Int(PQgetlength(result, row, column))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: length)
                values.append(decode(bytes, type: types[Int(column)]))
            }
            rows.append(PostgresRow(columnNames: names, values: values))
        }
        return rows
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, type: Oid) -> PostgresValue {
        let text = String(decoding: bytes, as: UTF8.self)
        switch type {
        case OID.int2, OID.int4, OID.int8, OID.oid:
            return Int64(text).map(PostgresValue.integer) ?? .text(text)
        case OID.float4, OID.float8:
            return Double(text).map(PostgresValue.double) ?? .text(text)
        case OID.bool:
            return .bool(text == "t")
        case OID.bytea:
            return decodeBytea(bytes).map(PostgresValue.bytes) ?? .text(text)
        default:
            return .text(text)
        }
    }

    /// The hex format `\x0a1b…` (PostgreSQL docs §8.4.1), or the older escape format if a server still sends it.
    static func decodeBytea(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        if bytes.count >= 2 && bytes[0] == 0x5C && bytes[1] == 0x78 {
            guard bytes.count % 2 == 0 else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity((bytes.count - 2) / 2)
            var i = 2
            while i < bytes.count {
                guard let high = hexValue(bytes[i]), let low = hexValue(bytes[i + 1]) else { return nil }
                out.append(high << 4 | low)
                i += 2
            }
            return out
        }
        return decodeEscapedBytea(bytes)
    }

    /// Escape format (PostgreSQL docs §8.4.2): `\\` is a backslash, `\ooo` an octal byte, anything else literal.
    private static func decodeEscapedBytea(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0x5C else {
                out.append(bytes[i])
                i += 1
                continue
            }
            if i + 1 < bytes.count && bytes[i + 1] == 0x5C {
                out.append(0x5C)
                i += 2
                continue
            }
            guard i + 3 < bytes.count, (1...3).allSatisfy({ (0x30...0x37).contains(bytes[i + $0]) }) else {
                return nil
            }
            let value = (Int(bytes[i + 1]) - 0x30) << 6 | (Int(bytes[i + 2]) - 0x30) << 3 | (Int(bytes[i + 3]) - 0x30)
            guard value <= 0xFF else { return nil }
            out.append(UInt8(value))
            i += 4
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
