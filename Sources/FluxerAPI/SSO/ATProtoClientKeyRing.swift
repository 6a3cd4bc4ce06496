import FluxerATProto
import FluxerCrypto
import FluxerPersistence
import SQLite

/// Our AT Protocol client's ES256 keys (`private_key_jwt`, RFC 7523), sealed in `atproto_client_keys` with a key
/// derived from the server secret, so every node signs and publishes the same ones.
///
/// Rotation without a gap: `rotate` adds a key that every node publishes in its JWKS as soon as its cached copy
/// is refreshed (`cacheLifetime`), but that signs only once it is `signingDelay` old, by when every node's JWKS
/// carries it. The previous key keeps signing until then and stays published until `retire` (it is unused once
/// the new key signs everywhere and the last assertion made with it, 60 s long, has expired).
package enum ATProtoClientKeyRing {
    /// How long a node keeps the keys it read.
    package static let cacheLifetime: Int64 = 5 * 60_000
    /// How old a key must be before it signs (longer than `cacheLifetime`).
    package static let signingDelay: Int64 = 10 * 60_000
    /// The first key's id: every node that finds no key inserts this one, so exactly one wins (`ON CONFLICT DO
    /// NOTHING`) and all nodes publish and sign with the same key.
    package static let firstKeyID = "atproto-1"

    /// A stored key, opened.
    package struct Key {
        package var client: ATProtoClientKey
        package var createdAt: Int64
    }

    package static func box(secret: [UInt8]) -> SecretBox {
        SecretBox(key: SecretBox.deriveKey(from: secret, context: "fluxer-auth/atproto-client-key"))
    }

    /// The unretired keys, newest first, making the first one when there is none.
    package static func load(database: DataStore, secret: [UInt8], now: Int64) throws -> [Key] {
        let box = box(secret: secret)
        let rows = try database.write { db -> [SSOStore.ATProtoKeyRow] in
            var rows = try SSOStore.activeATProtoKeys(in: db)
            if rows.isEmpty {
                // The first key signs at once: there is no older one to bridge to.
                try SSOStore.insertATProtoKey(.init(kid: firstKeyID, privateKeySealed: box.seal(P256SoftKey().privateKeyDER),
                                                    createdAt: now - signingDelay), in: db)
                rows = try SSOStore.activeATProtoKeys(in: db)
            }
            return rows
        }
        let keys = rows.compactMap { row in
            box.open(row.privateKeySealed).flatMap(P256SoftKey.init(privateKeyDER:)).map { Key(client: ATProtoClientKey(id: row.kid, key: $0), createdAt: row.createdAt) }
        }
        // A key sealed under another secret cannot be opened: the server secret changed. Refuse rather than
        // publish a JWKS without the key the authorization servers know.
        guard !keys.isEmpty, keys.count == rows.count else { throw ATProtoKeyError.unreadable }
        return keys
    }

    /// The key that signs at `now`: the newest one at least `signingDelay` old, else the oldest.
    package static func signing(_ keys: [Key], now: Int64) -> Key {
        keys.first { now - $0.createdAt >= signingDelay } ?? keys[keys.count - 1]
    }

    /// Adds a new key; returns its id and when it starts signing.
    package static func rotate(database: DataStore, secret: [UInt8], now: Int64) throws -> (kid: String, signsFrom: Int64) {
        _ = try load(database: database, secret: secret, now: now)
        let kid = "atproto-" + Base64URL.encode(SecureRandom.bytes(9))
        try database.write { db in
            try SSOStore.insertATProtoKey(.init(kid: kid, privateKeySealed: box(secret: secret).seal(P256SoftKey().privateKeyDER),
                                                createdAt: now), in: db)
        }
        return (kid, now + signingDelay)
    }

    /// Why a key cannot be retired.
    package enum RetireRefusal: Error, Equatable, CustomStringConvertible {
        case unknown, signing
        package var description: String {
            switch self {
            case .unknown: "no unretired key has that id"
            case .signing: "that key still signs (rotate first, and wait until the new key signs)"
            }
        }
    }

    /// Stops publishing a key that no longer signs.
    package static func retire(kid: String, database: DataStore, secret: [UInt8], now: Int64) throws {
        let keys = try load(database: database, secret: secret, now: now)
        guard keys.contains(where: { $0.client.id == kid }) else { throw RetireRefusal.unknown }
        guard signing(keys, now: now).client.id != kid else { throw RetireRefusal.signing }
        try database.write { db in try SSOStore.retireATProtoKey(kid: kid, now: now, in: db) }
    }
}

/// Our client keys could not be opened (the server secret changed since they were sealed).
package enum ATProtoKeyError: Error, CustomStringConvertible {
    case unreadable
    package var description: String { "the AT Protocol client keys cannot be opened with this server's secret key" }
}
