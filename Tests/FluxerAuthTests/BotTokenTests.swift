import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerCrypto
import FluxerDomain

/// `BotToken` at the unit level: format, signature, tampering, malformed shapes and the key ring.
@Suite struct BotTokenTests {
    let ring = BotTokenKeyRing(keys: [1: testKey1], activeKeyID: 1)
    let botID: UInt64 = 1_456_074_443_980_800_000

    /// Re-signs a payload with `key` (to build tokens that are well signed but wrong in some other way).
    func signed(id: String, payload: [UInt8], key: [UInt8]) -> String {
        let signedPart = Array(payload.prefix(BotToken.signedCount))
        let tag = HMAC.sha256(key: key, message: Array((id + ".").utf8) + signedPart)
        return id + "." + Base64URL.encode(signedPart + tag)
    }

    func payload(of token: String) -> [UInt8] {
        Base64URL.decode(String(token.split(separator: ".")[1]))!
    }

    @Test func mint_verify_roundTrip() throws {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1_700_000_000_123, keys: ring)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 2)
        #expect(parts[0] == "\(botID)")
        // 66 payload bytes → 88 unpadded base64url characters.
        #expect(parts[1].count == 88)
        #expect(parts[1].allSatisfy { TokenAlphabet.base64url.contains($0) })
        let verified = try #require(BotToken.verify(token[...], keys: ring))
        #expect(verified == BotToken.Verified(botID: botID, createdAt: 1_700_000_000_123, keyID: 1))
        let p = payload(of: token)
        #expect(p[0] == 1 && p[1] == 1)
        // Two mints differ (random part), and the storage hash is SHA-256 of the whole token.
        let other = BotToken.mint(botID: botID, createdAt: 1_700_000_000_123, keys: ring)
        #expect(other != token)
        #expect(BotToken.storageHash(token) == SHA256.hash(Array(token.utf8)))
        #expect(BotToken.preview(token).count == 8)
        #expect(!BotToken.preview(token).isEmpty && parts[1].contains(BotToken.preview(token)))
    }

    @Test func smallAndLargeIDs_roundTrip() throws {
        CryptoRuntime.initialize()
        for id: UInt64 in [1, 9, 10, UInt64(Int64.max), UInt64.max] {
            let token = BotToken.mint(botID: id, createdAt: 0, keys: ring)
            #expect(BotToken.verify(token[...], keys: ring)?.botID == id)
        }
    }

    /// Every character, replaced by another of its kind (digit in the id, base64url in the payload, and the
    /// dot by a letter or digit), fails verification: the HMAC covers the id and the whole signed payload.
    @Test func flippingEveryCharacter_failsVerification() {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1_700_000_000_000, keys: ring)
        for index in 0..<token.count {
            for step in [1, 7, 33] {
                let tampered = TokenAlphabet.flip(token, at: index, step: step)
                #expect(tampered != token)
                let verified = BotToken.verify(tampered[...], keys: ring)
                #expect(verified == nil, "position \(index) step \(step) verified: \(tampered)")
            }
        }
    }

    @Test func malformedShapes_areNil() {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1, keys: ring)
        let id = String(token.split(separator: ".")[0])
        let body = String(token.split(separator: ".")[1])
        let cases: [(String, String)] = [
            ("empty", ""),
            ("no dot", id + body),
            ("only id", id + "."),
            ("only payload", "." + body),
            ("truncated by one", String(token.dropLast())),
            ("truncated by four", String(token.dropLast(4))),
            ("extended by one", token + "A"),
            ("extended by four", token + "AAAA"),
            ("extra dot at the end", token + "."),
            ("extra dot inside", id + "." + body.prefix(40) + "." + body.dropFirst(40)),
            ("extra dot segment", token + ".abc"),
            ("leading zero", "0" + token),
            ("leading zeros", "00" + token),
            ("non-digit id", "abc." + body),
            ("hex id", "0x" + String(botID, radix: 16) + "." + body),
            ("signed id", "+" + token),
            ("negative id", "-" + token),
            ("id with space", id.prefix(3) + " " + id.dropFirst(3) + "." + body),
            ("21-digit id", "1" + String(repeating: "0", count: 20) + "." + body),
            ("id overflowing UInt64", "18446744073709551616." + body),
            ("padded", token + "=="),
            ("padding inside", id + "." + body.dropLast(2) + "=="),
            ("standard base64 plus", id + ".+" + body.dropFirst()),
            ("standard base64 slash", id + "." + body.dropLast() + "/"),
            ("whitespace", token + " "),
            ("newline", token + "\n"),
            ("zero id", "0." + body),
        ]
        for (name, text) in cases {
            #expect(BotToken.verify(text[...], keys: ring) == nil, "\(name): \(text)")
        }
    }

    @Test func leadingZeroID_isRejectedEvenWhenCorrectlySigned() {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1, keys: ring)
        // Signed over "0<id>." — shape check must refuse it (two spellings of one id would be two tokens).
        let forged = signed(id: "0\(botID)", payload: payload(of: token), key: testKey1)
        #expect(BotToken.verify(forged[...], keys: ring) == nil)
    }

    @Test func wrongVersion_isNil_evenWhenCorrectlySigned() {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1, keys: ring)
        for version: UInt8 in [0, 2, 255] {
            var p = payload(of: token)
            p[0] = version
            #expect(BotToken.verify(signed(id: "\(botID)", payload: p, key: testKey1)[...], keys: ring) == nil)
        }
        // Control: the same re-signing with the real version verifies.
        #expect(BotToken.verify(signed(id: "\(botID)", payload: payload(of: token), key: testKey1)[...], keys: ring) != nil)
    }

    @Test func unknownKeyID_isNil() {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1, keys: ring)
        var p = payload(of: token)
        p[1] = 9
        // Signed with a key this ring holds, but naming an id it does not know.
        #expect(BotToken.verify(signed(id: "\(botID)", payload: p, key: testKey1)[...], keys: ring) == nil)
        // A token from a different ring (same key id, different secret) fails the tag.
        let stranger = BotToken.mint(botID: botID, createdAt: 1, keys: BotTokenKeyRing(keys: [1: testKey2], activeKeyID: 1))
        #expect(BotToken.verify(stranger[...], keys: ring) == nil)
    }

    @Test func wrongTag_isNil() {
        CryptoRuntime.initialize()
        let token = BotToken.mint(botID: botID, createdAt: 1, keys: ring)
        #expect(BotToken.verify(signed(id: "\(botID)", payload: payload(of: token), key: testKey2)[...], keys: ring) == nil)
        // The tag of another id does not carry over.
        #expect(BotToken.verify(("\(botID + 1)." + token.split(separator: ".")[1])[...], keys: ring) == nil)
    }

    @Test func keyRotation_atTheKeyRingLevel() throws {
        CryptoRuntime.initialize()
        let only1 = BotTokenKeyRing(keys: [1: testKey1], activeKeyID: 1)
        let both = BotTokenKeyRing(keys: [1: testKey1, 2: testKey2], activeKeyID: 2)
        let only2 = BotTokenKeyRing(keys: [2: testKey2], activeKeyID: 2)
        let a = BotToken.mint(botID: botID, createdAt: 1, keys: only1)
        #expect(BotToken.verify(a[...], keys: only1)?.keyID == 1)
        #expect(BotToken.verify(a[...], keys: both)?.keyID == 1)
        let b = BotToken.mint(botID: botID, createdAt: 2, keys: both)
        #expect(BotToken.verify(b[...], keys: both)?.keyID == 2)
        #expect(payload(of: b)[1] == 2)
        #expect(BotToken.verify(b[...], keys: only1) == nil)
        #expect(BotToken.verify(a[...], keys: only2) == nil)
        #expect(BotToken.verify(b[...], keys: only2)?.keyID == 2)
    }

    @Test func derivedRing_isKey0_fromTheSecret_andDiffersPerSecret() {
        CryptoRuntime.initialize()
        let s1 = [UInt8](repeating: 7, count: 32), s2 = [UInt8](repeating: 8, count: 32)
        let r1 = BotTokenKeyRing.derived(from: s1)
        #expect(r1.activeKeyID == 0)
        #expect(r1.keys[0] != s1)
        let token = BotToken.mint(botID: botID, createdAt: 1, keys: r1)
        #expect(BotToken.verify(token[...], keys: BotTokenKeyRing.derived(from: s1)) != nil)
        #expect(BotToken.verify(token[...], keys: BotTokenKeyRing.derived(from: s2)) == nil)
        var config = Config()
        #expect(config.botTokenKeyRing(secret: s1).keys == r1.keys)
        config.botTokenKeys = [3: testKey1, 5: testKey2]
        #expect(config.botTokenKeyRing(secret: s1).activeKeyID == 5)
        config.botTokenActiveKey = 3
        #expect(config.botTokenKeyRing(secret: s1).activeKeyID == 3)
    }

    @Test func clientSecret_is43CharBase64url_storedAsSHA256() {
        CryptoRuntime.initialize()
        let secret = ClientSecret.generate()
        #expect(secret.count == 43)
        #expect(Base64URL.decode(secret)?.count == 32)
        #expect(ClientSecret.hash(secret) == SHA256.hash(Array(secret.utf8)))
        #expect(ClientSecret.matches(secret, hash: ClientSecret.hash(secret)))
        #expect(!ClientSecret.matches(secret + "x", hash: ClientSecret.hash(secret)))
    }

    // MARK: - Config

    @Test func config_botTokenKeys_parseAndActiveKey() throws {
        let k1 = Base64URL.encode(testKey1), k2 = Base64URL.encode(testKey2)
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", "[security]\nbot_token_keys = [\"1:\(k1)\", \"2:\(k2)\"]\nbot_token_active_key = 1\n")
        let config = try ConfigLoader.load(file: dir.file("c.toml"), environment: [:])
        #expect(config.botTokenKeys == [1: testKey1, 2: testKey2])
        #expect(config.botTokenActiveKey == 1)
        dir.write("d.toml", "[security]\nbot_token_keys = [\"1:\(k1)\", \"2:\(k2)\"]\n")
        let defaulted = try ConfigLoader.load(file: dir.file("d.toml"), environment: [:])
        #expect(defaulted.botTokenKeyRing(secret: testKey1).activeKeyID == 2)
    }

    @Test func config_activeKeyNotInList_isConfigError() throws {
        let k1 = Base64URL.encode(testKey1)
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", "[security]\nbot_token_keys = [\"1:\(k1)\"]\nbot_token_active_key = 2\n")
        #expect {
            try ConfigLoader.load(file: dir.file("c.toml"), environment: [:])
        } throws: { ($0 as? ConfigError)?.key == "security.bot_token_active_key" }
    }

    @Test func config_malformedKeyEntries_areConfigErrors() throws {
        let k1 = Base64URL.encode(testKey1)
        let short = Base64URL.encode([UInt8](repeating: 1, count: 31))
        let dir = TempDir()
        defer { dir.remove() }
        let bad = [
            "\"\(k1)\"",                 // no id
            "\"1\"",                      // no secret
            "\"1:\"",                     // empty secret
            "\"256:\(k1)\"",              // id out of range
            "\"-1:\(k1)\"",               // negative id
            "\"x:\(k1)\"",                // non-numeric id
            "\"1:\(short)\"",             // secret under 32 bytes
            "\"1:\(k1)=\"",               // padded base64
            "\"1:\(k1)\", \"1:\(k1)\"",   // duplicate id
            "\"1:not base64!\"",          // not base64url
        ]
        for (i, entries) in bad.enumerated() {
            let name = "bad\(i).toml"
            dir.write(name, "[security]\nbot_token_keys = [\(entries)]\n")
            #expect(throws: (any Error).self, "\(entries)") { try ConfigLoader.load(file: dir.file(name), environment: [:]) }
            do {
                _ = try ConfigLoader.load(file: dir.file(name), environment: [:])
            } catch {
                #expect(error.key == "security.bot_token_keys", "\(entries): \(error)")
            }
        }
    }
}
