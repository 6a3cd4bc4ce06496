import FluxerCrypto
import Testing

@Test func base62_encodeHasRequestedLengthAndAlphabet() {
    for count in [0, 1, 36, 100] {
        let token = Base62.encode(randomCount: count)
        #expect(token.utf8.count == count)
        let alphabet = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        #expect(token.utf8.allSatisfy(alphabet.contains))
    }
}

@Test func base62_tokensDiffer() {
    #expect(Base62.encode(randomCount: 36) != Base62.encode(randomCount: 36))
}

@Test func base62_usesWholeAlphabet() {
    #expect(Set(Base62.encode(randomCount: 5000)).count == 62)
}

@Test func base62_isValidAcceptsAlphanumerics() {
    #expect(Base62.isValid("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    #expect(Base62.isValid(Base62.encode(randomCount: 36)))
    let token = "flx_" + Base62.encode(randomCount: 36)
    #expect(Base62.isValid(token.dropFirst(4)))
}

@Test func base62_isValidRejectsOtherCharacters() {
    for bad in ["", "flx_abc", "abc-def", "abc def", "abc=", "abc+", "abc/", "é", "abc\u{0}", "ａbc", "abc\n"] {
        #expect(!Base62.isValid(bad), "\(bad.debugDescription)")
        #expect(!Base62.isValid(bad[...]), "\(bad.debugDescription)")
    }
}

@Test func base62_negativeCountTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = Base62.encode(randomCount: -1)
    }
}
