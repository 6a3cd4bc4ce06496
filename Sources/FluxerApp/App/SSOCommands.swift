import FluxerDomain
import FluxerAPI
import FluxerCrypto
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth sso atproto-keys …`: our AT Protocol OAuth client's signing keys (see `ATProtoClientKeyRing`).
public enum SSOCommands {
    static func withKeys(_ config: Config, _ body: (DataStore, [UInt8], Int64) throws -> JSONValue) throws(UserCommands.Failure) -> String {
        guard let secret = config.commandSecretKey() else {
            throw .invalid("security.secret_key: required (the keys are sealed with it)")
        }
        return try UserCommands.withDatabase(config) { database throws(UserCommands.Failure) in
            do {
                return try body(database, secret, Clock.wallMilliseconds()).serialized
            } catch let refusal as ATProtoClientKeyRing.RetireRefusal {
                throw .invalid("kid: \(refusal.description)")
            } catch {
                throw .invalid("\(error)")
            }
        }
    }

    static func describe(_ keys: [ATProtoClientKeyRing.Key], now: Int64) -> JSONValue {
        let signing = ATProtoClientKeyRing.signing(keys, now: now)
        return .array(keys.map { key in
            JSONValue.object([
                ("kid", .string(key.client.id)), ("signing", .bool(key.client.id == signing.client.id)),
                ("created_at", .string(ISO8601.format(milliseconds: key.createdAt))),
                ("signs_from", .string(ISO8601.format(milliseconds: key.createdAt + ATProtoClientKeyRing.signingDelay))),
            ])
        })
    }

    /// Every published key; `signing` marks the one that signs now.
    public static func list(config: Config) throws(UserCommands.Failure) -> String {
        try withKeys(config) { database, secret, now in
            describe(try ATProtoClientKeyRing.load(database: database, secret: secret, now: now), now: now)
        }
    }

    /// Adds a key: published by every node within 5 minutes, signing after 10.
    public static func rotate(config: Config) throws(UserCommands.Failure) -> String {
        try withKeys(config) { database, secret, now in
            let (kid, signsFrom) = try ATProtoClientKeyRing.rotate(database: database, secret: secret, now: now)
            return .object([("kid", .string(kid)), ("signs_from", .string(ISO8601.format(milliseconds: signsFrom)))])
        }
    }

    /// Stops publishing a key that no longer signs.
    public static func retire(config: Config, kid: String) throws(UserCommands.Failure) -> String {
        try withKeys(config) { database, secret, now in
            try ATProtoClientKeyRing.retire(kid: kid, database: database, secret: secret, now: now)
            return describe(try ATProtoClientKeyRing.load(database: database, secret: secret, now: now), now: now)
        }
    }
}
