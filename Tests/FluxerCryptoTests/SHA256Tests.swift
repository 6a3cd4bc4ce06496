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

// MARK: - Our own SHA-256 on both compression functions (SHA-NI and portable), against NIST and OpenSSL

/// FIPS 180-4's examples (NIST CSRC "SHA256.pdf", "SHA2_Additional"): one block, two blocks (448 bits), the
/// 896-bit message whose padding needs a block of its own, and a million 'a's; plus the empty message.
@Test(arguments: CompressionPath.available) func sha256_nistVectors(path: CompressionPath) {
    path.run {
        #expect(Hex.encode(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let message896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(Hex.encode(SHA256.hash(message896)) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(Hex.encode(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

/// Every length from 0 to 300 bytes (every padding case: the length field in the last block or in a block of its
/// own, 0 to 4 whole blocks), at start addresses with every alignment mod 8, equals OpenSSL's digest.
@Test(arguments: CompressionPath.available) func sha256_matchesOpenSSL_everyLengthTo300(path: CompressionPath) {
    let seed = UInt64.random(in: .min ... .max)
    var random = SplitMix64(seed: seed)
    let data = random.randomBytes(300 + 8)
    path.run {
        let mismatches = (0...300).filter { length in
            let message = data[(length % 8)..<(length % 8 + length)]
            return SHA256.hash(message) != opensslSHA256(Array(message))
        }
        #expect(mismatches.isEmpty, "lengths \(mismatches), seed \(seed)")
    }
}

/// Random lengths up to 100 KB (many blocks hashed in one call of the compression function), and the edges.
@Test(arguments: CompressionPath.available) func sha256_matchesOpenSSL_largeRandomLengths(path: CompressionPath) {
    let seed = UInt64.random(in: .min ... .max)
    var random = SplitMix64(seed: seed)
    let data = random.randomBytes(100_000)
    let lengths = [4096, 65_535, 65_536, 99_999, 100_000] + (0..<8).map { _ in Int.random(in: 301...100_000, using: &random) }
    path.run {
        let mismatches = lengths.filter { SHA256.hash(data[..<$0]) != opensslSHA256(Array(data[..<$0])) }
        #expect(mismatches.isEmpty, "lengths \(mismatches), seed \(seed)")
    }
}

#if os(Linux) && arch(x86_64)
/// The shim's CPUID check agrees with the kernel's reading of the same CPU, so that on a machine with SHA-NI the
/// tests above cannot quietly run the portable code twice.
@Test func sha256_usesSHANIExactlyWhenTheKernelReportsIt() throws {
    let cpuinfo = try #require(readCPUInfo())
    let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
    let kernelHasSHANI = flagsLine.split(separator: " ").contains("sha_ni")
    #expect(CompressionPath.cpuHasSHANI == kernelHasSHANI)
}
#endif
