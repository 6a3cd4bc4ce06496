import FluxerCrypto
import Testing

@Suite struct P256SoftKeyTests {
    @Test func privateKeyDER_roundTrips_andSignsForTheSamePublicKey() throws {
        let key = P256SoftKey()
        let der = key.privateKeyDER
        #expect(der.first == 0x30)
        #expect(der.count <= P256SoftKey.maxPrivateKeyDERBytes)
        let restored = try #require(P256SoftKey(privateKeyDER: der))
        #expect(restored.coseKey == key.coseKey)
        #expect(restored.privateKeyDER == der)
        let message = SecureRandom.bytes(64)
        #expect(key.coseKey.verify(signature: restored.sign(message), message: message))
    }

    @Test func privateKeyDER_refusesGarbageTruncationAndTrailingBytes() {
        let der = P256SoftKey().privateKeyDER
        #expect(P256SoftKey(privateKeyDER: []) == nil)
        #expect(P256SoftKey(privateKeyDER: [0x30, 0x00]) == nil)
        #expect(P256SoftKey(privateKeyDER: Array(der.dropLast(5))) == nil)
        #expect(P256SoftKey(privateKeyDER: der + [0x00]) == nil)
        #expect(P256SoftKey(privateKeyDER: SecureRandom.bytes(121)) == nil)
    }

    @Test func privateKeyDER_refusesOversizedInputUnread() {
        let der = P256SoftKey().privateKeyDER
        let padded = der + [UInt8](repeating: 0, count: P256SoftKey.maxPrivateKeyDERBytes + 1 - der.count)
        #expect(padded.count == P256SoftKey.maxPrivateKeyDERBytes + 1)
        #expect(P256SoftKey(privateKeyDER: padded) == nil)
    }

    @Test func freshKeys_differ() {
        #expect(P256SoftKey().privateKeyDER != P256SoftKey().privateKeyDER)
    }
}
