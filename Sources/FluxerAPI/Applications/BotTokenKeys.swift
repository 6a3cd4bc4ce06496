import FluxerCrypto
import FluxerDomain
import FluxerPersistence
import Logging
import Synchronization

/// The bot-token keys a node verifies and signs with (`BotTokenKeySet`): the configured ring merged with the keys
/// `fluxer-auth keys rotate` stored in the database, reread every `reloadInterval` so that a rotation reaches every
/// node before its key signs (`BotTokenKeySet.signingDelay`) and a retirement within the interval.
///
/// The hot path reads `verifying` on a principal-cache miss only (a hit needs no signature check): one lock and a
/// reference copy.
package final class BotTokenKeys: Sendable {
    /// How often a node rereads the stored keys (real time).
    package static let reloadIntervalMilliseconds = 60_000

    /// Where the keys come from: the configuration, and the server secret that derives key 0 when none is
    /// configured and seals the stored keys.
    package struct Source: Sendable {
        package let configured: BotTokenKeyRing
        /// `configured` is the one key derived from the secret (no `security.bot_token_keys`).
        package let derived: Bool
        package let box: SecretBox

        package init(config: Config, secret: [UInt8]) {
            configured = config.botTokenKeyRing(secret: secret)
            derived = config.botTokenKeys.isEmpty
            box = SecretBox(key: SecretBox.deriveKey(from: secret, context: "fluxer-auth/bot-token-key"))
        }

        /// The keys as the stored rows and the configuration make them.
        package func load(in db: SQLTransaction) throws -> BotTokenKeySet {
            try BotTokenKeySet.assemble(configured: configured, derived: derived, rows: try BotTokenKeyStore.all(in: db), open: box.open)
        }

        /// Stores a new random key: every node verifies with it once it rereads the keys, and it signs from the
        /// returned time. Fails when all 256 key ids are taken.
        package func rotate(at now: Int64, in db: SQLTransaction) throws -> (kid: UInt8, signsFrom: Int64) {
            let rows = try BotTokenKeyStore.all(in: db)
            guard let kid = BotTokenKeySet.freeKeyID(configured: configured, rows: rows) else { throw RotateRefusal.noFreeKeyID }
            let secret = SecureRandom.bytes(32)
            try BotTokenKeyStore.upsert(BotTokenKeyRow(kid: kid, source: .database, secretSealed: box.seal(secret),
                                                       fingerprint: BotTokenKeySet.fingerprint(secret), createdAt: now, retiredAt: nil), in: db)
            return (kid, now + BotTokenKeySet.signingDelay)
        }

        /// Retires a key (stored or configured); refuses an unknown key and the one that signs now.
        package func retire(_ kid: UInt8, at now: Int64, in db: SQLTransaction) throws {
            switch try load(in: db).retirement(of: kid, now: now) {
            case .database(let kid):
                _ = try BotTokenKeyStore.retire(kid: kid, now: now, in: db)
            case .config(let kid, let fingerprint):
                try BotTokenKeyStore.upsert(BotTokenKeyRow(kid: kid, source: .config, secretSealed: nil, fingerprint: fingerprint,
                                                           createdAt: now, retiredAt: now), in: db)
            }
        }
    }

    /// Why no key can be added.
    package enum RotateRefusal: Error, CustomStringConvertible {
        case noFreeKeyID
        package var description: String { "all 256 bot-token key ids are in use; retire keys first" }
    }

    private let source: Source
    private let database: DataStore
    private let cache: PrincipalCache
    private let logger: Logger
    private let state: Mutex<BotTokenKeySet>
    private let task = Mutex<PeriodicTask?>(nil)

    /// Reads the keys once; throws when the database cannot be read or no key verifies.
    package init(source: Source, database: DataStore, cache: PrincipalCache, logger: Logger) throws {
        self.source = source
        self.database = database
        self.cache = cache
        self.logger = logger
        let set = try database.read { try source.load(in: $0) }
        state = Mutex(set)
        Self.warnUnreadable(set, logger: logger)
    }

    /// Every key that verifies (its active key is the fallback signer; sign with `signing(now:)`).
    package var verifying: BotTokenKeyRing { state.withLock { $0.ring } }

    /// The ring whose active key signs new tokens at `now`.
    package func signing(now: Int64) -> BotTokenKeyRing { state.withLock { $0.signing(now: now) } }

    /// The keys as last read.
    package var current: BotTokenKeySet { state.withLock { $0 } }

    package func start() {
        let task = PeriodicTask(name: "fx-botkeys", intervalMilliseconds: Self.reloadIntervalMilliseconds) { [self] in reload() }
        self.task.withLock { $0 = task }
        task.start()
    }

    package func stop() { task.withLock { $0 }?.stop() }

    /// Rereads the keys. A key that stopped verifying drops every cached principal: a bot token signed with it
    /// must be checked again (a cache hit skips the signature). A failed read keeps the keys in force.
    package func reload() {
        let set: BotTokenKeySet
        do {
            set = try database.read { try source.load(in: $0) }
        } catch {
            logger.warning("bot-token keys not reread; the previous keys stay in force", metadata: ["error": "\(error)"])
            return
        }
        let previous = state.withLock { old -> BotTokenKeySet in
            defer { old = set }
            return old
        }
        if !previous.verifyingKeyIDs.subtracting(set.verifyingKeyIDs).isEmpty { cache.forgetAll() }
        if previous.entries.filter({ $0.status == .unreadable }) != set.entries.filter({ $0.status == .unreadable }) {
            Self.warnUnreadable(set, logger: logger)
        }
    }

    private static func warnUnreadable(_ set: BotTokenKeySet, logger: Logger) {
        let unreadable = set.entries.filter { $0.status == .unreadable }.map { String($0.kid) }
        guard !unreadable.isEmpty else { return }
        logger.warning("stored bot-token keys sealed under another server secret are ignored; retire them",
                       metadata: ["kids": "\(unreadable.joined(separator: ","))"])
    }
}
