import FluxerCrypto
import Testing

private let key = Array(0..<32) as [UInt8]

@Test func secretBox_roundTrip() {
    let box = SecretBox(key: key)
    for count in [0, 1, 15, 16, 17, 100, 4096] {
        let plaintext = SecureRandom.bytes(count)
        let sealed = box.seal(plaintext)
        #expect(sealed.count == 24 + 16 + count)
        #expect(box.open(sealed) == plaintext)
    }
}

@Test func secretBox_noncesAreRandom() {
    let box = SecretBox(key: key)
    let a = box.seal(bytes("same"))
    let b = box.seal(bytes("same"))
    #expect(a != b)
    #expect(a.prefix(24) != b.prefix(24))
}

@Test func secretBox_tamperingAnyByteFails() {
    let box = SecretBox(key: key)
    let sealed = box.seal(bytes("attack at dawn!!"))
    for index in sealed.indices {
        var tampered = sealed
        tampered[index] ^= 0x01
        #expect(box.open(tampered) == nil, "byte \(index)")
    }
}

@Test func secretBox_wrongKeyFails() {
    let sealed = SecretBox(key: key).seal(bytes("secret"))
    #expect(SecretBox(key: [UInt8](repeating: 0, count: 32)).open(sealed) == nil)
    #expect(SecretBox(key: SecureRandom.bytes(32)).open(sealed) == nil)
}

@Test func secretBox_truncatedOrExtendedFails() {
    let box = SecretBox(key: key)
    let sealed = box.seal(bytes("secret"))
    for count in 0..<sealed.count {
        #expect(box.open(Array(sealed.prefix(count))) == nil, "prefix \(count)")
    }
    #expect(box.open(sealed + [0]) == nil)
    #expect(box.open([]) == nil)
    #expect(box.open([UInt8](repeating: 0, count: 40)) == nil)
}

@Test func secretBox_deriveKeyIsPinned() {
    // HMAC-SHA-256(key: "master-secret", message: "fluxer-auth/session"), computed independently.
    let expected = hex("b3ac1f35634698aa3af8aa59cbeddd10c9fca0d97ac37b669640313e927248af")
    #expect(SecretBox.deriveKey(from: bytes("master-secret"), context: "session") == expected)
}

@Test func secretBox_deriveKeySeparatesContextsAndSecrets() {
    let master = SecureRandom.bytes(32)
    let a = SecretBox.deriveKey(from: master, context: "totp")
    #expect(a.count == 32)
    #expect(a == SecretBox.deriveKey(from: master, context: "totp"))
    #expect(a != SecretBox.deriveKey(from: master, context: "session"))
    #expect(a != SecretBox.deriveKey(from: SecureRandom.bytes(32), context: "totp"))
    let sealed = SecretBox(key: a).seal(bytes("x"))
    #expect(SecretBox(key: SecretBox.deriveKey(from: master, context: "session")).open(sealed) == nil)
}

@Test func secretBox_shortKeyTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = SecretBox(key: [UInt8](repeating: 0, count: 31))
    }
}

@Test func secretBox_longKeyTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = SecretBox(key: [UInt8](repeating: 0, count: 33))
    }
}
