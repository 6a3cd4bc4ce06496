import FluxerCrypto
import Testing

/// RFC 4648 §10 vectors.
private let rfc4648: [(String, String)] = [
    ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
    ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
]

@Test func base64_rfc4648Vectors() {
    for (plain, encoded) in rfc4648 {
        #expect(Base64.encode(bytes(plain)) == encoded)
        #expect(Base64.decode(encoded) == bytes(plain))
    }
}

@Test func base64_unpaddedVectors() {
    for (plain, padded) in rfc4648 {
        let unpadded = String(padded.filter { $0 != "=" })
        #expect(Base64.encode(bytes(plain), padded: false) == unpadded)
        #expect(Base64.decode(unpadded, padded: false) == bytes(plain))
    }
}

@Test func base64_basicAuthExample() {
    // RFC 7617 §2.
    #expect(Base64.encode(bytes("Aladdin:open sesame")) == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    #expect(Base64.decode("QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == bytes("Aladdin:open sesame"))
}

@Test func base64_usesStandardAlphabet() {
    #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    #expect(Base64.decode("-_-_") == nil)
}

@Test func base64_roundTripsAllLengths() {
    for count in 0..<70 {
        let data = SecureRandom.bytes(count)
        #expect(Base64.decode(Base64.encode(data)) == data)
        #expect(Base64.decode(Base64.encode(data, padded: false), padded: false) == data)
    }
}

@Test func base64_rejectsWrongPadding() {
    for bad in ["Zg", "Zg=", "Zg===", "Z===", "====", "Zm8", "Zm8==", "Zm9v=", "Zm9v====", "Zg==Zg==", "Z=g="] {
        #expect(Base64.decode(bad) == nil, "\(bad)")
    }
}

@Test func base64_unpaddedModeRejectsPadding() {
    #expect(Base64.decode("Zg==", padded: false) == nil)
    #expect(Base64.decode("Zm8=", padded: false) == nil)
}

@Test func base64_rejectsWhitespaceAndForeignCharacters() {
    for bad in ["Zm9v Zg==", " Zm9v", "Zm9v\n", "Zm9v\r\n", "Zm9.", "Zm9é", "Zm\u{0}v"] {
        #expect(Base64.decode(bad) == nil, "\(bad.debugDescription)")
    }
}

@Test func base64_rejectsImpossibleLength() {
    #expect(Base64.decode("Z", padded: false) == nil)
    #expect(Base64.decode("Zm9vY", padded: false) == nil)
}

@Test func base64_rejectsNonCanonicalTrailingBits() {
    #expect(Base64.decode("Zh==") == nil)
    #expect(Base64.decode("Zm9=") == nil)
    #expect(Base64.decode("Zh", padded: false) == nil)
}
