import FluxerCrypto
import Testing

/// RFC 4648 §10 vectors, unpadded.
private let rfc4648: [(String, String)] = [
    ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"),
    ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
]

@Test func base64URL_rfc4648Vectors() {
    for (plain, encoded) in rfc4648 {
        #expect(Base64URL.encode(bytes(plain)) == encoded)
        #expect(Base64URL.decode(encoded) == bytes(plain))
    }
}

@Test func base64URL_usesURLSafeAlphabet() {
    #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
    #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
}

@Test func base64URL_roundTripsAllLengths() {
    for count in 0..<70 {
        let data = SecureRandom.bytes(count)
        #expect(Base64URL.decode(Base64URL.encode(data)) == data)
    }
}

@Test func base64URL_rejectsPadding() {
    #expect(Base64URL.decode("Zg==") == nil)
    #expect(Base64URL.decode("Zm8=") == nil)
    #expect(Base64URL.decode("=") == nil)
}

@Test func base64URL_rejectsStandardAlphabetCharacters() {
    #expect(Base64URL.decode("+/+/") == nil)
    #expect(Base64URL.decode("-_+_") == nil)
    #expect(Base64URL.decode("-_-/") == nil)
}

@Test func base64URL_rejectsWhitespaceAndForeignCharacters() {
    for bad in ["Zm9v Yg", " Zm9v", "Zm9v\n", "Zm9v\t", "Zm9v.", "Zm9v*", "Zm9vé", "Zm\u{0}9", "Zm9v\r\n"] {
        #expect(Base64URL.decode(bad) == nil, "\(bad.debugDescription)")
    }
}

@Test func base64URL_rejectsImpossibleLength() {
    #expect(Base64URL.decode("Z") == nil)
    #expect(Base64URL.decode("Zm9vY") == nil)
}

@Test func base64URL_rejectsNonCanonicalTrailingBits() {
    #expect(Base64URL.decode("Zh") == nil)   // 'h' leaves 0001 in the unused bits
    #expect(Base64URL.decode("Zm9") == nil)  // '9' leaves 01 in the unused bits
    #expect(Base64URL.decode("Zg") == bytes("f"))
    #expect(Base64URL.decode("Zm8") == bytes("fo"))
}
