import FluxerCrypto
import Testing
@testable import FluxerDomain

/// `BotTokenKeySet`: how configured keys and stored rows merge, which key signs when, and what may be retired.
@Suite struct BotTokenKeySetTests {
    static let now: Int64 = 1_800_000_000_000
    static let configured = BotTokenKeyRing(keys: [3: [UInt8](repeating: 3, count: 32), 5: [UInt8](repeating: 5, count: 32)], activeKeyID: 5)

    /// A stored key whose "sealed" secret is the secret itself (the tests' `open` is the identity).
    static func stored(_ kid: UInt8, createdAt: Int64, retiredAt: Int64? = nil, secret: [UInt8]? = nil) -> BotTokenKeyRow {
        let secret = secret ?? [UInt8](repeating: kid &+ 100, count: 32)
        return BotTokenKeyRow(kid: kid, source: .database, secretSealed: retiredAt == nil ? secret : nil,
                              fingerprint: BotTokenKeySet.fingerprint(secret), createdAt: createdAt, retiredAt: retiredAt)
    }

    static func assemble(_ rows: [BotTokenKeyRow], configured: BotTokenKeyRing = configured, derived: Bool = false) throws -> BotTokenKeySet {
        try BotTokenKeySet.assemble(configured: configured, derived: derived, rows: rows, open: { $0.count == 32 ? $0 : nil })
    }

    @Test func noRows_isTheConfiguredRing() throws {
        let set = try Self.assemble([])
        #expect(set.verifyingKeyIDs == [3, 5])
        #expect(set.signingKeyID(now: Self.now) == 5)
        #expect(set.entries.map(\.kid) == [3, 5] && set.entries.allSatisfy { $0.source == .config && $0.status == .verifying })
    }

    @Test func aStoredKey_verifiesAtOnce_signsAfterTheDelay() throws {
        let set = try Self.assemble([Self.stored(0, createdAt: Self.now)])
        #expect(set.verifyingKeyIDs == [0, 3, 5])
        #expect(set.signingKeyID(now: Self.now) == 5)
        #expect(set.signingKeyID(now: Self.now + BotTokenKeySet.signingDelay - 1) == 5)
        #expect(set.signingKeyID(now: Self.now + BotTokenKeySet.signingDelay) == 0)
        #expect(set.signing(now: Self.now + BotTokenKeySet.signingDelay).activeKeyID == 0)
        // The newest mature key signs.
        let two = try Self.assemble([Self.stored(0, createdAt: Self.now - 3 * BotTokenKeySet.signingDelay),
                                     Self.stored(1, createdAt: Self.now - 2 * BotTokenKeySet.signingDelay),
                                     Self.stored(2, createdAt: Self.now)])
        #expect(two.signingKeyID(now: Self.now) == 1)
    }

    @Test func freeKeyID_skipsConfiguredAndStoredIDs_thenReusesRetiredOnes() {
        #expect(BotTokenKeySet.freeKeyID(configured: Self.configured, rows: []) == 0)
        #expect(BotTokenKeySet.freeKeyID(configured: Self.configured, rows: [Self.stored(0, createdAt: 0)]) == 1)
        let everyID = (0...255).map(UInt8.init).filter { $0 != 3 && $0 != 5 }
        let full = everyID.map { Self.stored($0, createdAt: 0, retiredAt: $0 == 200 || $0 == 100 ? 1 : nil) }
        #expect(BotTokenKeySet.freeKeyID(configured: Self.configured, rows: full) == 100)
        #expect(BotTokenKeySet.freeKeyID(configured: Self.configured, rows: everyID.map { Self.stored($0, createdAt: 0) }) == nil)
    }

    @Test func retirement_neverTheSigningKey_configuredKeysByFingerprint() throws {
        let set = try Self.assemble([Self.stored(0, createdAt: Self.now - BotTokenKeySet.signingDelay)])
        #expect(throws: BotTokenKeySet.RetireRefusal.signing(0)) { try set.retirement(of: 0, now: Self.now) }
        #expect(throws: BotTokenKeySet.RetireRefusal.unknown(9)) { try set.retirement(of: 9, now: Self.now) }
        let fingerprint = BotTokenKeySet.fingerprint([UInt8](repeating: 5, count: 32))
        #expect(try set.retirement(of: 5, now: Self.now) == .config(5, fingerprint: fingerprint))

        // The recorded retirement ends key 5 only while it has that secret.
        let tombstone = BotTokenKeyRow(kid: 5, source: .config, secretSealed: nil, fingerprint: fingerprint, createdAt: Self.now, retiredAt: Self.now)
        let retired = try Self.assemble([Self.stored(0, createdAt: Self.now - BotTokenKeySet.signingDelay), tombstone])
        #expect(retired.verifyingKeyIDs == [0, 3])
        #expect(retired.entries.first { $0.kid == 5 }?.status == .retired)
        #expect(throws: BotTokenKeySet.RetireRefusal.unknown(5)) { try retired.retirement(of: 5, now: Self.now) }
        let replaced = BotTokenKeyRing(keys: [3: [UInt8](repeating: 3, count: 32), 5: [UInt8](repeating: 9, count: 32)], activeKeyID: 5)
        #expect(try Self.assemble([tombstone], configured: replaced).verifyingKeyIDs == [3, 5])
    }

    @Test func shadowedAndUnreadableKeys_areListedButDoNotVerify() throws {
        let unreadable = BotTokenKeyRow(kid: 7, source: .database, secretSealed: [1, 2, 3], fingerprint: [0], createdAt: Self.now, retiredAt: nil)
        let set = try Self.assemble([Self.stored(5, createdAt: Self.now), unreadable])
        #expect(set.verifyingKeyIDs == [3, 5])
        #expect(set.ring.keys[5] == [UInt8](repeating: 105, count: 32))  // the stored key 5, not the configured one
        #expect(set.entries.filter { $0.kid == 5 }.map(\.status) == [.shadowed, .verifying])
        #expect(set.entries.first { $0.kid == 7 }?.status == .unreadable)
        // The configured active key is shadowed: the stored key with its id signs (it is the newest stored).
        #expect(set.signingKeyID(now: Self.now) == 5)
        // An unreadable key may be retired (it is not the signing key).
        #expect(try set.retirement(of: 7, now: Self.now) == .database(7))
    }

    @Test func everyConfiguredKeyRetired_andNothingStored_isAFailure() throws {
        let secret = [UInt8](repeating: 1, count: 32)
        let ring = BotTokenKeyRing(keys: [0: secret], activeKeyID: 0)
        let tombstone = BotTokenKeyRow(kid: 0, source: .config, secretSealed: nil, fingerprint: BotTokenKeySet.fingerprint(secret),
                                       createdAt: 0, retiredAt: 0)
        #expect(throws: BotTokenKeySet.Failure.noKeys) { try Self.assemble([tombstone], configured: ring, derived: true) }
    }
}
