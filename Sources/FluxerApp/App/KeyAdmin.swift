import FluxerAPI
import FluxerDomain
import FluxerJSON
import FluxerPersistence

/// `fluxer-auth keys list|rotate|retire`: the bot-token HMAC keys (`BotTokenKeySet`). Key material is never
/// printed: a key is its id, where it comes from and what it does.
public enum KeyAdmin {
    typealias Failure = UserCommands.Failure

    static func source(_ config: Config) throws(Failure) -> BotTokenKeys.Source {
        guard let secret = config.commandSecretKey() else {
            throw .startup(.config(ConfigError(
                key: "security.secret_key", reason: "required: bot-token keys are derived from it and sealed with it; set FLUXER_AUTH_SECRET_KEY or use --dev")))
        }
        return BotTokenKeys.Source(config: config, secret: secret)
    }

    /// `[{kid, source, derived, dev_fixture, status, active, created_at, signs_from, retired_at}]`: `active` marks the key that
    /// signs new tokens now; `status` is `verifying`, `retired`, `shadowed` (a configured key whose id a stored key
    /// took) or `unreadable` (stored under another server secret).
    static func describe(_ set: BotTokenKeySet, now: Int64) -> JSONValue {
        let signing = set.signingKeyID(now: now)
        return .array(set.entries.map { entry in
            JSONValue.object([
                ("kid", .int(Int64(entry.kid))), ("source", .string(entry.source.rawValue)), ("derived", .bool(entry.derived && !isDevFixture(entry))),
                ("dev_fixture", .bool(isDevFixture(entry))),
                ("status", .string(entry.status.rawValue)), ("active", .bool(entry.status == .verifying && entry.kid == signing)),
                ("created_at", Admin.time(entry.createdAt)), ("signs_from", Admin.time(entry.signsFrom)),
                ("retired_at", Admin.time(entry.retiredAt)),
            ])
        })
    }

    /// Dev mode's well-known key (`BotTokenKeyRing.devFixtureKeyID`), which verifies the seed file's fixed tokens.
    static func isDevFixture(_ entry: BotTokenKeySet.Entry) -> Bool {
        entry.source == .config && entry.fingerprint == BotTokenKeySet.fingerprint(BotTokenKeyRing.devFixtureKey)
    }

    /// Every key, configured and stored.
    public static func list(config: Config) throws(UserCommands.Failure) -> String {
        let source = try source(config)
        return try Admin.run(config) { database in
            describe(try database.read { try source.load(in: $0) }, now: Clock.wallMilliseconds())
        }
    }

    /// Adds a key: every server verifies with it within `BotTokenKeys.reloadIntervalMilliseconds` and signs new
    /// tokens with it from `signs_from`; the old keys keep verifying until retired. Needs `yes`.
    public static func rotate(config: Config, yes: Bool) throws(UserCommands.Failure) -> String {
        let source = try source(config)
        return try Admin.run(config) { database in
            let now = Clock.wallMilliseconds()
            try Admin.confirm(yes, "keys rotate: would add a bot-token key that every server verifies within "
                + "\(BotTokenKeys.reloadIntervalMilliseconds / 1000) s and that signs new bot tokens from "
                + ISO8601.format(milliseconds: now + BotTokenKeySet.signingDelay) + "; the current keys would keep verifying")
            let (kid, signsFrom) = try Admin.write(database) { db, _ in
                let rotated = try source.rotate(at: now, in: db)
                try Admin.audit("bot_token_key.rotate", detail: "kid=\(rotated.kid)", now: now, in: db)
                return rotated
            }
            return .object([("kid", .int(Int64(kid))), ("signs_from", Admin.time(signsFrom)),
                            ("verifies_everywhere_by", Admin.time(now + Int64(BotTokenKeys.reloadIntervalMilliseconds)))])
        }
    }

    /// Retires a key: bot tokens signed with it stop working on every server within the reload interval. Refuses
    /// an unknown key and the key that signs now. Needs `yes`.
    public static func retire(config: Config, kid text: String, yes: Bool) throws(UserCommands.Failure) -> String {
        guard let kid = UInt8(text), String(kid) == text else { throw .invalid("kid: must be a key id from 0 to 255 (see keys list)") }
        let source = try source(config)
        return try Admin.run(config) { database in
            let now = Clock.wallMilliseconds()
            let set = try database.read { try source.load(in: $0) }
            do {
                let retirement = try set.retirement(of: kid, now: now)
                let origin = if case .config = retirement { "configured" } else { "stored" }
                try Admin.confirm(yes, "keys retire: would retire \(origin) bot-token key \(kid): bot tokens signed with it would stop "
                    + "working on every server within \(BotTokenKeys.reloadIntervalMilliseconds / 1000) s (reset them first)")
                try Admin.write(database) { db, _ in
                    try source.retire(kid, at: now, in: db)
                    try Admin.audit("bot_token_key.retire", detail: "kid=\(kid)", now: now, in: db)
                }
            } catch let refusal as BotTokenKeySet.RetireRefusal {
                throw Failure.invalid(refusal.description)
            }
            return describe(try database.read { try source.load(in: $0) }, now: now)
        }
    }
}
