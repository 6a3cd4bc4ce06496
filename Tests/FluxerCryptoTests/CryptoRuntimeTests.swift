import FluxerCrypto
import Testing

@Test func initialize_isIdempotent() {
    CryptoRuntime.initialize()
    CryptoRuntime.initialize()
    #expect(SecureRandom.bytes(1).count == 1)
}

@Test func initialize_concurrentCallsAreSafe() async {
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<8 { group.addTask { CryptoRuntime.initialize() } }
    }
}
