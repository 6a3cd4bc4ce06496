import FluxerCrypto

/// The bot-token keys in force: the configured ones (`security.bot_token_keys`, or key 0 derived from the server
/// secret) merged with those `fluxer-auth keys rotate` stored in the database, less the retired ones. Pure: built
/// from the rows and the configuration, so every node that read the same rows decides the same way.
///
/// Rotation without a gap (as `ATProtoClientKeyRing`): a new database key verifies on every node as soon as the
/// node rereads the keys, and signs new tokens only once it is `signingDelay` old, by when every node has. Until
/// then the previous key signs. Old keys verify until `keys retire`, which refuses the key that signs.
package struct BotTokenKeySet: Sendable {
    /// How old a database key must be before it signs; longer than a node's reread interval
    /// (`BotTokenKeys.reloadInterval`) with room to spare.
    package static let signingDelay: Int64 = 5 * 60_000

    /// What a key is doing.
    package enum Status: String, Sendable {
        /// It verifies tokens (and may sign).
        case verifying
        /// `keys retire` ended it.
        case retired
        /// A configured key whose id a database key took (the database key wins).
        case shadowed
        /// A database key sealed under another server secret: it cannot be opened.
        case unreadable
    }

    /// One key as `keys list` shows it (never its secret).
    package struct Entry: Sendable, Equatable {
        package var kid: UInt8
        package var source: BotTokenKeyRow.Source
        /// A configured key derived from the server secret rather than listed in `security.bot_token_keys`.
        package var derived: Bool
        package var status: Status
        /// Database keys: when it was added, and from when it may sign.
        package var createdAt: Int64?
        package var signsFrom: Int64?
        package var retiredAt: Int64?
        /// Names the key's secret without revealing it (what a configured key's retirement records).
        package var fingerprint: [UInt8]
    }

    /// A database key that may sign, and from when.
    private struct Scheduled: Sendable {
        var kid: UInt8
        var signsFrom: Int64
    }

    /// Every verifying key; its active key is the one that signs while no database key is old enough.
    package let ring: BotTokenKeyRing
    /// Every key, configured and stored, by id (a configured key and a database key may share an id).
    package let entries: [Entry]
    /// Readable unretired database keys, newest first.
    private let schedule: [Scheduled]

    /// The key that signs new tokens at `now`: the newest database key at least `signingDelay` old, else the
    /// ring's fallback.
    package func signingKeyID(now: Int64) -> UInt8 {
        schedule.first { $0.signsFrom <= now }?.kid ?? ring.activeKeyID
    }

    /// The ring with the key that signs at `now` active.
    package func signing(now: Int64) -> BotTokenKeyRing { ring.activating(signingKeyID(now: now)) }

    /// Ids of the keys that verify.
    package var verifyingKeyIDs: Set<UInt8> { Set(ring.keys.keys) }

    /// `Entry.fingerprint` of a secret: HMAC-SHA256 of a fixed label under it.
    package static func fingerprint(_ secret: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: secret, message: Array("fluxer-auth/bot-token-key-fingerprint".utf8))
    }

    /// Why no set can be built.
    package enum Failure: Error, Equatable, CustomStringConvertible {
        /// Every configured key is retired or shadowed and no database key can be opened.
        case noKeys
        package var description: String {
            "no bot-token key verifies: every configured key is retired and no stored key can be opened with this server's secret key"
        }
    }

    /// Merges the configured ring (`derived`: it is the one derived from the secret) with the stored rows;
    /// `open` unseals a stored secret (nil when it was sealed under another server secret).
    package static func assemble(configured: BotTokenKeyRing, derived: Bool, rows: [BotTokenKeyRow],
                                 open: ([UInt8]) -> [UInt8]?) throws(Failure) -> BotTokenKeySet {
        let retired = Set(rows.filter { $0.retiredAt != nil }.map { RetiredKey(kid: $0.kid, fingerprint: $0.fingerprint) })
        var entries: [Entry] = []
        var keys: [UInt8: [UInt8]] = [:]
        var schedule: [Scheduled] = []
        var newestStored: (kid: UInt8, createdAt: Int64)?
        for row in rows where row.source == .database {
            var entry = Entry(kid: row.kid, source: .database, derived: false, status: .verifying, createdAt: row.createdAt,
                              signsFrom: row.createdAt + signingDelay, retiredAt: row.retiredAt, fingerprint: row.fingerprint)
            if row.retiredAt != nil {
                entry.status = .retired
            } else if let sealed = row.secretSealed, let secret = open(sealed), secret.count >= 32 {
                keys[row.kid] = secret
                schedule.append(Scheduled(kid: row.kid, signsFrom: row.createdAt + signingDelay))
                if newestStored.map({ row.createdAt > $0.createdAt || (row.createdAt == $0.createdAt && row.kid > $0.kid) }) ?? true {
                    newestStored = (row.kid, row.createdAt)
                }
            } else {
                entry.status = .unreadable
            }
            entries.append(entry)
        }
        let stored = Set(keys.keys)
        for (kid, secret) in configured.keys {
            let fingerprint = fingerprint(secret)
            var entry = Entry(kid: kid, source: .config, derived: derived, status: .verifying, createdAt: nil, signsFrom: nil,
                              retiredAt: nil, fingerprint: fingerprint)
            if let row = rows.first(where: { $0.kid == kid && $0.retiredAt != nil }), retired.contains(RetiredKey(kid: kid, fingerprint: fingerprint)) {
                entry.status = .retired
                entry.retiredAt = row.retiredAt
            } else if stored.contains(kid) {
                entry.status = .shadowed
            } else {
                keys[kid] = secret
            }
            entries.append(entry)
        }
        let fallback: UInt8
        if entries.contains(where: { $0.source == .config && $0.kid == configured.activeKeyID && $0.status == .verifying }) {
            fallback = configured.activeKeyID
        } else if let newestStored {
            fallback = newestStored.kid
        } else if let highest = keys.keys.max() {
            fallback = highest
        } else {
            throw .noKeys
        }
        schedule.sort { $0.signsFrom != $1.signsFrom ? $0.signsFrom > $1.signsFrom : $0.kid > $1.kid }
        entries.sort { $0.kid != $1.kid ? $0.kid < $1.kid : $0.source == .config }
        return BotTokenKeySet(ring: BotTokenKeyRing(keys: keys, activeKeyID: fallback), entries: entries, schedule: schedule)
    }

    private struct RetiredKey: Hashable {
        var kid: UInt8
        var fingerprint: [UInt8]
    }

    /// The id for a new database key: the lowest id no configured key and no stored row uses, else the lowest id
    /// of a retired row that no configured key uses (its row is replaced); nil when all 256 are taken.
    package static func freeKeyID(configured: BotTokenKeyRing, rows: [BotTokenKeyRow]) -> UInt8? {
        let taken = Set(configured.keys.keys).union(rows.map(\.kid))
        if let fresh = (0...255).lazy.map(UInt8.init).first(where: { !taken.contains($0) }) { return fresh }
        return rows.filter { $0.retiredAt != nil && configured.keys[$0.kid] == nil }.map(\.kid).min()
    }

    /// What retiring a key takes.
    package enum Retirement: Equatable {
        /// Mark the stored key retired.
        case database(UInt8)
        /// Record the configured key's retirement (a row with its fingerprint).
        case config(UInt8, fingerprint: [UInt8])
    }

    /// Why a key cannot be retired.
    package enum RetireRefusal: Error, Equatable, CustomStringConvertible {
        case unknown(UInt8)
        case signing(UInt8)
        package var description: String {
            switch self {
            case .unknown(let kid): "kid \(kid): no unretired bot-token key has that id"
            case .signing(let kid): "kid \(kid): that key signs new tokens now (rotate first, and wait until the new key signs)"
            }
        }
    }

    /// Decides how to retire `kid` at `now`: the stored key when there is one, else the configured key; never
    /// the key that signs.
    package func retirement(of kid: UInt8, now: Int64) throws(RetireRefusal) -> Retirement {
        let live = entries.filter { $0.kid == kid && $0.status != .retired }
        if let stored = live.first(where: { $0.source == .database }) {
            guard !(stored.status == .verifying && signingKeyID(now: now) == kid) else { throw .signing(kid) }
            return .database(kid)
        }
        guard let configured = live.first(where: { $0.source == .config }) else { throw .unknown(kid) }
        guard signingKeyID(now: now) != kid else { throw .signing(kid) }
        return .config(kid, fingerprint: configured.fingerprint)
    }
}
