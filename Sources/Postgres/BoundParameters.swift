internal import CFluxerShim

/// Parameters encoded for `PQexecParams`/`PQprepare`/`PQexecPrepared` (libpq docs §34.3.1).
///
/// Integers, floats, booleans and bytes go in binary format with their type OID, so no value is ever formatted
/// into SQL and bytes need no escaping (PostgreSQL docs §55.1.3 "Formats and Format Codes": binary integers
/// are in network byte order; the types' send/receive functions define `float8` as the big-endian IEEE 754 bits,
/// `bool` as one byte, `bytea` as the raw bytes). Text goes in text format with OID 0
/// ("unknown"), so the server converts it to whatever the context needs, as it would a quoted literal.
struct BoundParameters {
    /// The protocol counts parameters in an Int16 (PostgreSQL docs §55.7 "Message Formats", Bind).
    static let maxCount = 65535

    /// A field value is at most 1 GB (PostgreSQL docs §73.2 "TOAST"); refusing larger ones here also keeps every
    /// length within libpq's `int`.
    static let maxValueBytes = 1 << 30

    private static func tooLarge(_ offset: Int) -> PostgresError {
        .invalidArgument("parameter $\(offset + 1) is larger than PostgreSQL's 1 GB field limit")
    }

    /// Type OIDs, fixed in the `pg_type` catalog (`SELECT oid, typname FROM pg_type`).
    enum OID {
        static let unknown: Oid = 0
        static let bool: Oid = 16
        static let bytea: Oid = 17
        static let name: Oid = 19
        static let int8: Oid = 20
        static let int2: Oid = 21
        static let int4: Oid = 23
        static let oid: Oid = 26
        static let float4: Oid = 700
        static let float8: Oid = 701
    }

    private(set) var types: [Oid] = []
    private(set) var formats: [Int32] = []
    /// One payload per parameter; nil is SQL `NULL`. Text payloads end with a NUL (libpq reads text parameters as
    /// C strings and ignores their length).
    private var payloads: [[UInt8]?] = []

    var count: Int { types.count }

    /// A cache key part: the statement is prepared with these types, so a different set needs another statement.
    var typeSignature: String { types.map { String($0) }.joined(separator: ",") }

    init(_ args: [PostgresBindable?]) throws(PostgresError) {
        guard args.count <= Self.maxCount else {
            throw .invalidArgument("a statement takes at most \(Self.maxCount) parameters")
        }
        types.reserveCapacity(args.count)
        formats.reserveCapacity(args.count)
        payloads.reserveCapacity(args.count)
        for (offset, arg) in args.enumerated() {
            switch arg?.postgresValue ?? .null {
            case .null:
                append(OID.unknown, format: 0, nil)
            case .integer(let value):
                append(OID.int8, format: 1, Self.bigEndian(UInt64(bitPattern: value)))
            case .double(let value):
                append(OID.float8, format: 1, Self.bigEndian(value.bitPattern))
            case .bool(let value):
                append(OID.bool, format: 1, [value ? 1 : 0])
            case .bytes(let value):
                guard value.count <= Self.maxValueBytes else { throw Self.tooLarge(offset) }
                append(OID.bytea, format: 1, value)
            case .text(let value):
                guard !value.utf8.contains(0) else {
                    // The value itself stays out of the message.
                    throw .invalidArgument("parameter $\(offset + 1) is text containing NUL, which PostgreSQL text cannot hold")
                }
                guard value.utf8.count <= Self.maxValueBytes else { throw Self.tooLarge(offset) }
                append(OID.unknown, format: 0, Array(value.utf8) + [0])
            }
        }
    }

    private mutating func append(_ type: Oid, format: Int32, _ payload: [UInt8]?) {
        types.append(type)
        formats.append(format)
        payloads.append(payload)
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }

    /// Calls `body` with the value pointers, lengths and formats libpq wants; they live only during the call.
    func withUnsafeArrays<R>(
        _ body: (
            UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) throws(PostgresError) -> R
    ) throws(PostgresError) -> R {
        let total = payloads.reduce(0) { $0 + ($1?.count ?? 0) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int32] = []
        pointers.reserveCapacity(payloads.count)
        lengths.reserveCapacity(payloads.count)
        var offset = 0
        for payload in payloads {
            guard let payload else {
                pointers.append(nil)
                lengths.append(0)
                continue
            }
            let start = storage.baseAddress! + offset
            payload.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { start.copyMemory(from: base, byteCount: bytes.count) }
            }
            pointers.append(UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
            lengths.append(Int32(payload.count))
            offset += payload.count
        }
        return try pointers.withUnsafeBufferPointer { values throws(PostgresError) in
            try lengths.withUnsafeBufferPointer { lengths throws(PostgresError) in
                try formats.withUnsafeBufferPointer { formats throws(PostgresError) in
                    try body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                }
            }
        }
    }
}
