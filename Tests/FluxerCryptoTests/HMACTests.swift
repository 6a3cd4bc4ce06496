import Synchronization
import Dispatch
import FluxerCrypto
import Testing

private let largeData7 = "This is a test using a larger than block-size key and a larger than block-size data. "
    + "The key needs to be hashed before being used by the HMAC algorithm."

/// RFC 4231 §4.2–§4.8: (key, data, expected HMAC-SHA-256; TC5 is truncated to 128 bits).
private let rfc4231: [(key: [UInt8], data: [UInt8], mac: String)] = [
    ([UInt8](repeating: 0x0B, count: 20), bytes("Hi There"),
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (bytes("Jefe"), bytes("what do ya want for nothing?"),
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ([UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50),
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (Array(1...25), [UInt8](repeating: 0xCD, count: 50),
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    ([UInt8](repeating: 0x0C, count: 20), bytes("Test With Truncation"),
     "a3b6167473100ee06e0c796c2955552b"),
    ([UInt8](repeating: 0xAA, count: 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ([UInt8](repeating: 0xAA, count: 131), bytes(largeData7),
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]

/// RFC 2202 §3: HMAC-SHA-1 test cases 1–7.
private let rfc2202: [(key: [UInt8], data: [UInt8], mac: String)] = [
    ([UInt8](repeating: 0x0B, count: 20), bytes("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"),
    (bytes("Jefe"), bytes("what do ya want for nothing?"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    ([UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50),
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
    (Array(1...25), [UInt8](repeating: 0xCD, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
    ([UInt8](repeating: 0x0C, count: 20), bytes("Test With Truncation"), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
    ([UInt8](repeating: 0xAA, count: 80), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    ([UInt8](repeating: 0xAA, count: 80),
     bytes("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
     "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
]

@Test(arguments: 0..<7) func hmacSHA256_rfc4231Vectors(index: Int) {
    let vector = rfc4231[index]
    let mac = HMAC.sha256(key: vector.key, message: vector.data)
    #expect(mac.count == 32)
    let expected = hex(vector.mac)
    #expect(Array(mac.prefix(expected.count)) == expected, "RFC 4231 test case \(index + 1)")
}

@Test(arguments: 0..<7) func hmacSHA1_rfc2202Vectors(index: Int) {
    let vector = rfc2202[index]
    #expect(HMAC.sha1(key: vector.key, message: vector.data) == hex(vector.mac), "RFC 2202 test case \(index + 1)")
}

@Test func hmacSHA256_emptyKeyAndMessage() {
    let expected = hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    #expect(HMAC.sha256(key: [], message: []) == expected)
}

@Test func hmacSHA1_emptyKeyAndMessage() {
    #expect(HMAC.sha1(key: [], message: []) == hex("fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"))
}

@Suite struct HMACKeyTests {
    /// The precomputed form gives the same MAC as the one-shot, for short, block-size and longer-than-block keys.
    @Test func hmacKey_matchesOneShot() {
        for keyLength in [1, 20, 32, 64, 65, 131] {
            let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            let prepared = HMACKey(key)
            for message in [[UInt8](), Array("Hi There".utf8), [UInt8](repeating: 0xdd, count: 200)] {
                #expect(prepared.mac(message) == HMAC.sha256(key: key, message: message), "key \(keyLength)")
                #expect(prepared.mac(message) == prepared.mac(message))
            }
        }
    }

    /// The two-part form MACs the concatenation, and one key serves many threads at once (each MAC works on its
    /// own copy of the pre-digested pad states).
    @Test func hmacKey_twoPartsAndThreads() {
        let key = Array("a bot-token signing key of 32 b!".utf8)
        let prepared = HMACKey(key)
        let first = Array("1579320956864692224.".utf8), second = [UInt8](repeating: 0x41, count: 70)
        var out = [UInt8](repeating: 0, count: 32)
        first.withUnsafeBytes { a in second.withUnsafeBytes { b in out.withUnsafeMutableBytes { prepared.mac(a, b, into: $0) } } }
        #expect(out == HMAC.sha256(key: key, message: first + second))
        let expected = HMAC.sha256(key: key, message: second)
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<500 where prepared.mac(second) != expected { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }
}

// MARK: - Our own HMAC-SHA-256 on both compression functions (SHA-NI and portable), against RFC 4231 and OpenSSL

/// RFC 4231 test cases 1-7 through the one-shot, the precomputed key and the two-part form (split in the middle);
/// case 5's MAC is truncated to 128 bits, so only the first 16 bytes are compared.
@Test(arguments: CompressionPath.available) func hmacSHA256_rfc4231_bothPaths(path: CompressionPath) {
    path.run {
        for (index, vector) in rfc4231.enumerated() {
            let expected = hex(vector.mac)
            let half = vector.data.count / 2
            let macs = [
                HMAC.sha256(key: vector.key, message: vector.data),
                HMACKey(vector.key).mac(vector.data),
                shimKeyedHMACSHA256(key: vector.key, Array(vector.data[..<half]), Array(vector.data[half...])),
            ]
            for mac in macs {
                #expect(Array(mac.prefix(expected.count)) == expected, "RFC 4231 test case \(index + 1), \(path)")
            }
        }
    }
}

/// Keys shorter than, one short of, exactly, one over and far over the 64-byte block (longer ones are hashed
/// first, RFC 2104 §2), with messages around the block and padding edges, equal OpenSSL's HMAC.
@Test(arguments: CompressionPath.available) func hmacSHA256_keyLengths_matchOpenSSL(path: CompressionPath) {
    let seed = UInt64.random(in: .min ... .max)
    var random = SplitMix64(seed: seed)
    let messages = [0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 1000].map { random.randomBytes($0) }
    let keys = [0, 1, 63, 64, 65, 200].map { random.randomBytes($0) }
    path.run {
        for key in keys {
            for message in messages {
                let expected = opensslHMACSHA256(key: key, message: message)
                let context = "key \(key.count) B, message \(message.count) B, seed \(seed)"
                #expect(HMAC.sha256(key: key, message: message) == expected, "\(context)")
                #expect(shimKeyedHMACSHA256(key: key, message, []) == expected, "\(context)")
                if !key.isEmpty { #expect(HMACKey(key).mac(message) == expected, "\(context)") }
            }
        }
    }
}

/// The two-part keyed MAC of a || b equals the one-shot MAC of the whole message at every split point, for
/// messages whose inner hash ends before, at and after block boundaries (the key's pad block comes first).
@Test(arguments: CompressionPath.available) func hmacSHA256_keyedEverySplit_matchesOneShot(path: CompressionPath) {
    let seed = UInt64.random(in: .min ... .max)
    var random = SplitMix64(seed: seed)
    let key = random.randomBytes(32)
    path.run {
        let prepared = HMACKey(key)
        for length in [0, 1, 31, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
            let message = random.randomBytes(length)
            let expected = HMAC.sha256(key: key, message: message)
            var mismatches: [Int] = []
            var out = [UInt8](repeating: 0, count: 32)
            for split in 0...length {
                message.withUnsafeBytes { whole in
                    out.withUnsafeMutableBytes {
                        prepared.mac(UnsafeRawBufferPointer(rebasing: whole[..<split]),
                                     UnsafeRawBufferPointer(rebasing: whole[split...]), into: $0)
                    }
                }
                if out != expected { mismatches.append(split) }
            }
            #expect(mismatches.isEmpty, "length \(length), splits \(mismatches), seed \(seed)")
        }
    }
}
