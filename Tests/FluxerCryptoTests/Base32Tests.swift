import FluxerCrypto
import Testing

/// RFC 4648 §10 vectors (padded form as published).
private let rfc4648: [(String, String)] = [
    ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
    ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
]

@Test func base32_rfc4648Vectors() {
    for (plain, padded) in rfc4648 {
        let unpadded = String(padded.filter { $0 != "=" })
        #expect(Base32.encode(bytes(plain)) == unpadded)
        #expect(Base32.decode(unpadded) == bytes(plain))
        #expect(Base32.decode(padded) == bytes(plain))
    }
}

@Test func base32_decodesLowerAndMixedCase() {
    #expect(Base32.decode("mzxw6ytboi") == bytes("foobar"))
    #expect(Base32.decode("MzXw6YtBoI======") == bytes("foobar"))
}

@Test func base32_rfc6238Secret() {
    // The RFC 6238 Appendix B SHA-1 seed "12345678901234567890".
    #expect(Base32.encode(bytes("12345678901234567890")) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
}

@Test func base32_roundTripsAllLengths() {
    for count in 0..<45 {
        let data = SecureRandom.bytes(count)
        #expect(Base32.decode(Base32.encode(data)) == data)
    }
}

@Test func base32_rejectsWrongPadding() {
    for bad in ["MY=", "MY=====", "MY=======", "MZXQ===", "MZXW6YTB=", "=", "========", "MY==MY======"] {
        #expect(Base32.decode(bad) == nil, "\(bad)")
    }
}

@Test func base32_rejectsForeignCharacters() {
    for bad in ["MZXW 6YTB", "MZXW-6YTB", " MY", "MY\n", "MZXW1", "MZXW0", "MZXW8", "MZXW9", "MZXWé", "MZ\u{0}W"] {
        #expect(Base32.decode(bad) == nil, "\(bad.debugDescription)")
    }
}

@Test func base32_rejectsImpossibleLengths() {
    #expect(Base32.decode("M") == nil)
    #expect(Base32.decode("MZX") == nil)
    #expect(Base32.decode("MZXW6Y") == nil)
}

@Test func base32_rejectsNonCanonicalTrailingBits() {
    #expect(Base32.decode("MZ") == nil)  // 'Z' leaves nonzero unused bits; canonical "f" is "MY"
    #expect(Base32.decode("MZXR") == nil)  // canonical "fo" is "MZXQ"
}
