import FluxerCrypto
import Testing

@Test func secureRandom_bytesHasRequestedCount() {
    for count in [0, 1, 16, 32, 1000] {
        #expect(SecureRandom.bytes(count).count == count)
    }
}

@Test func secureRandom_bytesDifferBetweenCalls() {
    #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
}

@Test func secureRandom_bytesAreNotConstant() {
    // 4096 random bytes hitting fewer than 200 distinct values is astronomically unlikely.
    #expect(Set(SecureRandom.bytes(4096)).count > 200)
}

@Test func secureRandom_uniformStaysBelowBoundAndCoversRange() {
    var seen = Set<UInt32>()
    for _ in 0..<2000 {
        let value = SecureRandom.uniform(10)
        #expect(value < 10)
        seen.insert(value)
    }
    #expect(seen.count == 10)
}

@Test func secureRandom_uniformDegenerateBoundsReturnZero() {
    #expect(SecureRandom.uniform(0) == 0)
    #expect(SecureRandom.uniform(1) == 0)
}

@Test func secureRandom_negativeCountTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = SecureRandom.bytes(-1)
    }
}
