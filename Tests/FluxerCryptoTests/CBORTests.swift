import FluxerCrypto
import Testing

/// RFC 8949 Appendix A: (encoding, value, whether the shortest-form encoder reproduces it).
private let appendixA: [(hex: String, value: CBORValue, reencodes: Bool)] = [
    ("00", .unsigned(0), true),
    ("17", .unsigned(23), true),
    ("1818", .unsigned(24), true),
    ("1864", .unsigned(100), true),
    ("1903e8", .unsigned(1000), true),
    ("1a000f4240", .unsigned(1_000_000), true),
    ("1bffffffffffffffff", .unsigned(18_446_744_073_709_551_615), true),
    ("c249010000000000000000", .tagged(2, .bytes(hex("010000000000000000"))), true),
    ("20", .negative(0), true),
    ("3863", .negative(99), true),
    ("3903e7", .negative(999), true),
    ("3bffffffffffffffff", .negative(UInt64.max), true),
    ("40", .bytes([]), true),
    ("4401020304", .bytes([1, 2, 3, 4]), true),
    ("60", .text(""), true),
    ("6161", .text("a"), true),
    ("6449455446", .text("IETF"), true),
    ("62225c", .text("\"\\"), true),
    ("62c3bc", .text("\u{00fc}"), true),
    ("63e6b0b4", .text("\u{6c34}"), true),
    ("64f0908591", .text("\u{10151}"), true),
    ("80", .array([]), true),
    ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)]), true),
    ("8301820203820405", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])]), true),
    ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", .array((1...25).map { .unsigned($0) }), true),
    ("a0", .map([]), true),
    ("a201020304", .map([(.unsigned(1), .unsigned(2)), (.unsigned(3), .unsigned(4))]), true),
    ("a26161016162820203", .map([(.text("a"), .unsigned(1)), (.text("b"), .array([.unsigned(2), .unsigned(3)]))]), true),
    ("826161a161626163", .array([.text("a"), .map([(.text("b"), .text("c"))])]), true),
    ("f4", .bool(false), true),
    ("f5", .bool(true), true),
    ("f6", .null, true),
    ("f7", .undefined, true),
    ("c074323031332d30332d32315432303a30343a30305a", .tagged(0, .text("2013-03-21T20:04:00Z")), true),
    ("c11a514b67b0", .tagged(1, .unsigned(1_363_896_240)), true),
    ("c1fb41d452d9ec200000", .tagged(1, .float(1_363_896_240.5)), true),
    ("d818456449455446", .tagged(24, .bytes(hex("6449455446"))), true),
    ("f90000", .float(0.0), false),
    ("f98000", .float(-0.0), false),
    ("f93c00", .float(1.0), false),
    ("fb3ff199999999999a", .float(1.1), true),
    ("f93e00", .float(1.5), false),
    ("f97bff", .float(65504.0), false),
    ("fa47c35000", .float(100_000.0), false),
    ("fa7f7fffff", .float(3.4028234663852886e+38), false),
    ("fb7e37e43c8800759c", .float(1.0e+300), true),
    ("f90001", .float(5.960464477539063e-8), false),
    ("f90400", .float(0.00006103515625), false),
    ("f9c400", .float(-4.0), false),
    ("fbc010666666666666", .float(-4.1), true),
    ("f97c00", .float(.infinity), false),
    ("f9fc00", .float(-.infinity), false),
    ("fa7f800000", .float(.infinity), false),
]

private func decodeError(_ bytes: [UInt8], allowTrailing: Bool = false) -> CBORError? {
    do {
        _ = try CBORDecoder.decode(bytes, allowTrailing: allowTrailing)
        return nil
    } catch {
        return error
    }
}

/// `count` arrays nested inside each other around a zero.
private func nestedArrays(_ count: Int) -> [UInt8] {
    [UInt8](repeating: 0x81, count: count) + [0x00]
}

@Suite struct CBORTests {
    @Test(arguments: appendixA.indices) func cbor_rfc8949AppendixA(index: Int) throws {
        let vector = appendixA[index]
        let (value, consumed) = try CBORDecoder.decode(hex(vector.hex))
        #expect(value == vector.value, "\(vector.hex)")
        #expect(consumed == hex(vector.hex).count)
        if vector.reencodes {
            #expect(CBOREncoder.encode(value) == hex(vector.hex))
        }
    }

    @Test func cbor_nanDecodes() throws {
        for encoding in ["f97e00", "fa7fc00000", "fb7ff8000000000000"] {
            guard case .float(let d) = try CBORDecoder.decode(hex(encoding)).value else {
                Issue.record("not a float")
                continue
            }
            #expect(d.isNaN)
        }
    }

    @Test func cbor_helpersReadMapsAndScalars() throws {
        let value = try CBORDecoder.decode(hex("a301020339010063666d74644e6f6e65")).value
        #expect(value[1]?.int == 2)
        #expect(value[3]?.int == -257)
        #expect(value["fmt"]?.text == "None")
        #expect(value["missing"] == nil)
        #expect(CBORValue.unsigned(UInt64.max).int == nil)
        #expect(CBORValue.int(-7) == .negative(6))
        #expect(CBORValue.bytes([1]).bytes == [1])
        #expect(CBORValue.text("x").bytes == nil)
    }

    @Test func cbor_nonShortestIntegersAccepted() throws {
        #expect(try CBORDecoder.decode(hex("1805")).value == .unsigned(5))
        #expect(try CBORDecoder.decode(hex("1b0000000000000005")).value == .unsigned(5))
        #expect(try CBORDecoder.decode(hex("5900020102")).value == .bytes([1, 2]))
    }

    @Test(arguments: appendixA.indices) func cbor_truncatedAtEveryLength_refused(index: Int) {
        let full = hex(appendixA[index].hex)
        for length in 0..<full.count {
            let error = decodeError(Array(full.prefix(length)))
            #expect(error == .truncated || error == .lengthExceedsInput, "\(appendixA[index].hex) cut at \(length): \(String(describing: error))")
        }
    }

    @Test func cbor_oversizedDeclaredLengths_refusedWithoutAllocating() {
        // 2^63-byte strings and containers: must fail on the header, not while reserving memory.
        #expect(decodeError(hex("5b8000000000000000")) == .lengthExceedsInput)
        #expect(decodeError(hex("7b8000000000000000")) == .lengthExceedsInput)
        #expect(decodeError(hex("5bffffffffffffffff")) == .lengthExceedsInput)
        #expect(decodeError(hex("9b8000000000000000")) == .tooManyItems)
        #expect(decodeError(hex("bbffffffffffffffff")) == .tooManyItems)
        // Within the item limit, but more elements than bytes left.
        #expect(decodeError(hex("990400") + [UInt8](repeating: 0, count: 1023)) == .lengthExceedsInput)
        #expect(decodeError(hex("b90002") + [0, 0, 1]) == .lengthExceedsInput)
        #expect(decodeError(hex("5a00010000") + [UInt8](repeating: 0, count: 100)) == .lengthExceedsInput)
    }

    @Test func cbor_stringLimit_atLimitAndAbove() throws {
        let limit = CBORDecoder.maxStringBytes
        let atLimit = hex("594000") + [UInt8](repeating: 0x61, count: limit)
        #expect(try CBORDecoder.decode(atLimit).value.bytes?.count == limit)
        let above = hex("594001") + [UInt8](repeating: 0x61, count: limit + 1)
        #expect(decodeError(above) == .stringTooLong)
        let textAbove = hex("794001") + [UInt8](repeating: 0x61, count: limit + 1)
        #expect(decodeError(textAbove) == .stringTooLong)
    }

    @Test func cbor_inputLimit_atLimitAndAbove() throws {
        let limit = CBORDecoder.maxBytes
        #expect(try CBORDecoder.decode([UInt8](repeating: 0, count: limit), allowTrailing: true).consumed == 1)
        #expect(decodeError([UInt8](repeating: 0, count: limit + 1), allowTrailing: true) == .inputTooLarge)
    }

    @Test func cbor_depth_atLimitAndAbove() throws {
        #expect(CBORDecoder.maxDepth == 16)
        _ = try CBORDecoder.decode(nestedArrays(16))
        #expect(decodeError(nestedArrays(17)) == .depthExceeded)
        // {0: {0: ... 0}} with 17 maps.
        #expect(decodeError((0..<17).flatMap { _ in [UInt8(0xA1), 0x00] } + [0x00]) == .depthExceeded)
        _ = try CBORDecoder.decode([UInt8](repeating: 0xC1, count: 16) + [0x00])
        #expect(decodeError([UInt8](repeating: 0xC1, count: 17) + [0x00]) == .depthExceeded)
        #expect(decodeError(nestedArrays(10_000)) == .depthExceeded)
    }

    @Test func cbor_itemCount_atLimitAndAbove() throws {
        let limit = CBORDecoder.maxItems
        let array = hex("990400") + [UInt8](repeating: 0, count: limit)
        #expect(try CBORDecoder.decode(array).value.array?.count == limit)
        #expect(decodeError(hex("990401") + [UInt8](repeating: 0, count: limit + 1)) == .tooManyItems)

        func map(_ count: Int) -> [UInt8] {
            var entries: [(CBORValue, CBORValue)] = []
            for key in 0..<count { entries.append((.unsigned(UInt64(key)), .null)) }
            return CBOREncoder.encode(.map(entries))
        }
        #expect(try CBORDecoder.decode(map(limit)).value.map?.count == limit)
        #expect(decodeError(map(limit + 1)) == .tooManyItems)
    }

    @Test func cbor_indefiniteLengthAndBreak_refused() {
        for encoding in ["5f4101ff", "7f6161ff", "9f01ff", "bf6161 01ff"] {
            #expect(decodeError(hex(encoding)) == .indefiniteLength, "\(encoding)")
        }
        #expect(decodeError(hex("ff")) == .unexpectedBreak)
        #expect(decodeError(hex("8201ff")) == .unexpectedBreak)
        for initial: UInt8 in [0x1F, 0x3F, 0xDF] {
            #expect(decodeError([initial]) == .reservedAdditionalInfo(31))
        }
    }

    @Test func cbor_reservedAdditionalInfo_refused() {
        for major: UInt8 in 0...7 {
            for info: UInt8 in 28...30 {
                #expect(decodeError([major << 5 | info, 0, 0, 0, 0, 0, 0, 0, 0]) == .reservedAdditionalInfo(info))
            }
        }
    }

    @Test func cbor_unassignedSimpleValues_refused() {
        #expect(decodeError(hex("f0")) == .unsupportedSimpleValue(16))
        #expect(decodeError(hex("f818")) == .unsupportedSimpleValue(24))
        #expect(decodeError(hex("f8ff")) == .unsupportedSimpleValue(255))
        #expect(decodeError(hex("f8")) == .truncated)
    }

    @Test func cbor_invalidUTF8_refused() {
        for encoding in ["62c328", "61ff", "63eda080", "62c0af", "64f8888080"] {
            #expect(decodeError(hex(encoding)) == .invalidUTF8, "\(encoding)")
        }
    }

    @Test func cbor_duplicateMapKeys_refused() {
        #expect(decodeError(hex("a2616101616102")) == .duplicateMapKey)
        #expect(decodeError(hex("a201010102")) == .duplicateMapKey)
        #expect(decodeError(hex("a28201020182010202")) == .duplicateMapKey)
        // Equal numbers of different major types are different keys.
        #expect(decodeError(hex("a2010120 01")) == nil)
    }

    @Test func cbor_trailingBytes() throws {
        #expect(decodeError(hex("0000")) == .trailingBytes)
        #expect(decodeError(hex("a0ff")) == .trailingBytes)
        let (value, consumed) = try CBORDecoder.decode(hex("a10102a0"), allowTrailing: true)
        #expect(value == .map([(.unsigned(1), .unsigned(2))]))
        #expect(consumed == 3)
    }

    @Test func cbor_emptyInput_truncated() {
        #expect(decodeError([]) == .truncated)
    }

    @Test func cbor_encoderRoundTrip() throws {
        let value = CBORValue.map([
            (.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(1)),
            (.int(-2), .bytes([UInt8](repeating: 7, count: 32))), (.text("k"), .array([.bool(true), .null, .float(0.5)])),
            (.int(70_000), .tagged(42, .text("ü"))), (.int(-5_000_000_000), .undefined),
        ])
        #expect(try CBORDecoder.decode(CBOREncoder.encode(value)).value == value)
    }
}
