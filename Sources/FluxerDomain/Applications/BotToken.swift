import FluxerCrypto

/// The HMAC keys that sign bot tokens: one active key signs new tokens; every listed key still verifies, so a
/// key can be rotated without downtime and retired by removing it from the list.
public struct BotTokenKeyRing: Sendable {
    /// Key id → secret (≥ 32 bytes).
    public let keys: [UInt8: [UInt8]]
    /// The key new tokens are signed with.
    public let activeKeyID: UInt8
    /// The same keys with their HMAC states precomputed (every bot request checks a tag).
    package let prepared: [UInt8: HMACKey]

    /// A key ring; `activeKeyID` must be one of `keys`.
    public init(keys: [UInt8: [UInt8]], activeKeyID: UInt8) {
        precondition(keys[activeKeyID] != nil, "the active bot token key must be in the key list")
        self.keys = keys
        self.activeKeyID = activeKeyID
        self.prepared = keys.mapValues(HMACKey.init)
    }

    private init(keys: [UInt8: [UInt8]], activeKeyID: UInt8, prepared: [UInt8: HMACKey]) {
        self.keys = keys
        self.activeKeyID = activeKeyID
        self.prepared = prepared
    }

    /// The same keys with another one signing (the HMAC states are shared, not recomputed); `id` must be a key
    /// of the ring.
    package func activating(_ id: UInt8) -> BotTokenKeyRing {
        precondition(keys[id] != nil, "the active bot token key must be in the key list")
        return id == activeKeyID ? self : BotTokenKeyRing(keys: keys, activeKeyID: id, prepared: prepared)
    }

    /// The ring used when none is configured: key 0 derived from the server secret.
    public static func derived(from secret: [UInt8]) -> BotTokenKeyRing {
        BotTokenKeyRing(keys: [0: HMAC.sha256(key: secret, message: Array("fluxer-auth/bot-token-key/0".utf8))], activeKeyID: 0)
    }

    /// Dev mode's well-known key id. Its key is public (derived from a constant), so that the bot tokens written in
    /// `config/seed.dev.json` verify on every developer's machine whatever its generated secret. It only lets
    /// those exact tokens through: a token must also match the SHA-256 stored for its application, which a forger
    /// cannot choose. Never in a production ring (`Config.botTokenKeyRing` adds it in dev mode only), and it never
    /// signs new tokens.
    public static let devFixtureKeyID: UInt8 = 255
    package static let devFixtureKey = SHA256.hash(Array("fluxer-auth/dev-fixtures/bot-token-key".utf8))

    /// This ring plus the dev fixture key (unless id 255 is configured already); the active key is unchanged.
    public func addingDevFixtureKey() -> BotTokenKeyRing {
        guard keys[Self.devFixtureKeyID] == nil else { return self }
        var all = keys
        all[Self.devFixtureKeyID] = Self.devFixtureKey
        return BotTokenKeyRing(keys: all, activeKeyID: activeKeyID)
    }
}

/// Bot tokens (DESIGN): `<bot_user_id>.<base64url payload>`, where the payload is
/// `version(1) ‖ key id(1) ‖ created ms(8, big-endian) ‖ random(24) ‖ HMAC-SHA256 tag(32)` and the tag covers
/// `"<bot_user_id>." ‖ everything in the payload before it`. A forged or altered token fails the HMAC check
/// before any database read; the database holds only SHA-256 of the current token, so a reset kills the old
/// one at once.
public enum BotToken {
    package static let version: UInt8 = 1
    package static let randomCount = 24
    package static let signedCount = 1 + 1 + 8 + randomCount
    package static let payloadCount = signedCount + 32
    package static let maxIDDigits = 20

    /// What a token says about itself once its signature checks out.
    public struct Verified: Sendable, Equatable {
        /// The bot user (= application) id.
        public let botID: UInt64
        /// When it was minted (unix ms).
        public let createdAt: Int64
        /// The key that signed it.
        public let keyID: UInt8
        /// The memberwise initializer, visible to the other targets of the package.
        package init(botID: UInt64, createdAt: Int64, keyID: UInt8) {
            self.botID = botID
            self.createdAt = createdAt
            self.keyID = keyID
        }
    }

    /// Mints a token for `botID` with the ring's active key.
    public static func mint(botID: UInt64, createdAt: Int64, keys: BotTokenKeyRing) -> String {
        var payload: [UInt8] = [version, keys.activeKeyID]
        payload.reserveCapacity(payloadCount)
        withUnsafeBytes(of: UInt64(bitPattern: createdAt).bigEndian) { payload.append(contentsOf: $0) }
        payload += SecureRandom.bytes(randomCount)
        let prefix = "\(botID)."
        payload += keys.prepared[keys.activeKeyID]!.mac(Array(prefix.utf8) + payload)
        return prefix + Base64URL.encode(payload)
    }

    /// Checks shape and signature only (no I/O): nil for anything malformed, signed by an unknown key, or
    /// whose tag does not match (compared in constant time). Allocation-free: a flood of forged tokens is
    /// refused on the event loop at the cost of one base64 decode and one HMAC.
    public static func verify(_ token: Substring, keys: BotTokenKeyRing) -> Verified? {
        var token = token
        return token.withUTF8 { verify(bytes: $0, keys: keys) }
    }

    /// `verify` over the token's UTF-8 bytes.
    package static func verify(bytes t: UnsafeBufferPointer<UInt8>, keys: BotTokenKeyRing) -> Verified? {
        // "<id>." then exactly the base64url of `payloadCount` bytes (no padding, so no partial group).
        let encodedCount = payloadCount / 3 * 4
        guard payloadCount % 3 == 0, t.count >= 2 + encodedCount, t.count <= maxIDDigits + 1 + encodedCount else { return nil }
        let dot = t.count - encodedCount - 1
        guard t[dot] == UInt8(ascii: "."), t[0] != UInt8(ascii: "0") else { return nil }
        var botID: UInt64 = 0
        for i in 0..<dot {
            let d = t[i] &- 0x30
            guard d <= 9 else { return nil }
            let (times10, o1) = botID.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            botID = sum
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: payloadCount + 2 + 32) { scratch -> Verified? in
            let payload = UnsafeMutableBufferPointer(rebasing: scratch[0..<(payloadCount + 2)])
            let expected = UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: scratch[(payloadCount + 2)...]))
            guard Base64URL.decode(UnsafeBufferPointer(rebasing: t[(dot + 1)...]), into: payload) == payloadCount,
                  payload[0] == version, let key = keys.prepared[payload[1]]
            else { return nil }
            key.mac(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: t[0...dot])),
                    UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: payload[0..<signedCount])), into: expected)
            let tag = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: payload[signedCount..<payloadCount]))
            guard ConstantTime.equals(UnsafeRawBufferPointer(expected), tag) else { return nil }
            var created: UInt64 = 0
            for i in 2..<10 { created = created << 8 | UInt64(payload[i]) }
            return Verified(botID: botID, createdAt: Int64(bitPattern: created), keyID: payload[1])
        }
    }

    /// SHA-256 of the whole token: what the database keeps.
    public static func storageHash(_ token: some StringProtocol) -> [UInt8] { SHA256.hash(utf8: token) }
    /// `storageHash` for the substring of an Authorization field, hashed in place.
    public static func storageHash(_ token: Substring) -> [UInt8] { SHA256.hash(utf8: token) }

    /// A short preview of the token's random part, for listings (never enough to use).
    public static func preview(_ token: String) -> String {
        guard let dot = token.firstIndex(of: ".") else { return "" }
        return String(token[token.index(after: dot)...].dropFirst(16).prefix(8))
    }
}

/// OAuth2 client secrets: 256 random bits, unpadded base64url; only SHA-256 stored, compared in constant time.
public enum ClientSecret {
    /// A new secret.
    public static func generate() -> String { Base64URL.encode(SecureRandom.bytes(32)) }

    /// What the database keeps.
    public static func hash(_ secret: String) -> [UInt8] { SHA256.hash(Array(secret.utf8)) }

    /// Whether `secret` matches the stored hash.
    public static func matches(_ secret: String, hash: [UInt8]) -> Bool {
        ConstantTime.equals(SHA256.hash(Array(secret.utf8)), hash)
    }
}
