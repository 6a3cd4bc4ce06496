import Crypto
import Testing

@Test func initialize_isIdempotent() {
    Crypto.initialize()
    Crypto.initialize()
    #expect(SecureRandom.bytes(1).count == 1)
}

@Test func initialize_concurrentCallsAreSafe() async {
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<8 { group.addTask { Crypto.initialize() } }
    }
}
