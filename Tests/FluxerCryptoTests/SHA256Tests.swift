import FluxerCrypto
import Testing

// FIPS 180-2 Appendix B / NIST CSRC example vectors.
@Test func sha256_fips180Abc() {
    #expect(SHA256.hash("abc") == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
}

@Test func sha256_emptyInput() {
    let expected = hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hash("") == expected)
    #expect(SHA256.hash([UInt8]()) == expected)
}

@Test func sha256_fips180TwoBlockMessage() {
    let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    #expect(SHA256.hash(message) == hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"))
}

@Test func sha256_fips180MillionA() {
    let expected = hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    #expect(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == expected)
}

@Test func sha256_acceptsNonContiguousCollections() {
    let expected = SHA256.hash("abc")
    #expect(SHA256.hash("abc".utf8) == expected)
    #expect(SHA256.hash(bytes("xabcx").dropFirst().dropLast()) == expected)
    #expect(SHA256.hash([UInt8](bytes("cba")).reversed()) == expected)
}

/// Hashing a string's bytes in place gives the same digest as hashing a copy of them, for a String and a
/// Substring of it.
@Test func sha256_utf8InPlace_matchesBytes() {
    let text = "xx flx_ünïcode token abc yy"
    let expected = SHA256.hash(Array(text.utf8))
    #expect(SHA256.hash(utf8: text) == expected)
    #expect(SHA256.hash(text) == expected)
    let inner = text.dropFirst(3).dropLast(3)
    #expect(SHA256.hash(utf8: inner) == SHA256.hash(Array(inner.utf8)))
    #expect(SHA256.hash(utf8: "") == SHA256.hash([UInt8]()))
}

/// The concrete String and Substring overloads agree with the generic one (reached through a generic caller), for
/// substrings at every offset and length of a non-ASCII string, and a known vector.
@Test func sha256_concreteOverloads_matchGeneric() {
    func generic(_ s: some StringProtocol) -> [UInt8] { SHA256.hash(utf8: s) }
    let text = "flx_ünïcode—token\u{1F600}end"
    for start in 0...text.count {
        for length in 0...(text.count - start) {
            let sub = text.dropFirst(start).prefix(length)
            #expect(SHA256.hash(utf8: sub) == generic(sub))
            #expect(SHA256.hash(utf8: sub) == SHA256.hash(Array(sub.utf8)))
        }
    }
    #expect(SHA256.hash(utf8: text) == generic(text))
    #expect(Hex.encode(SHA256.hash(utf8: Substring("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}
