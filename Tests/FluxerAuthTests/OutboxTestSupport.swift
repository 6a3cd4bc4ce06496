import FluxerPersistence
import FluxerCrypto
import Glibc
import Logging
import SQLite
import Synchronization
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// A log handler keeping every line (message + metadata) in memory.
struct CapturingLogHandler: LogHandler {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    let store: Lines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = "\(event.level) \(event.message) " + merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        store.lines.withLock { $0.append(line) }
    }

    static func make() -> (Logger, Lines) {
        let store = Lines()
        return (Logger(label: "test") { _ in CapturingLogHandler(store: store) }, store)
    }
}

/// A settable clock (Unix milliseconds).
final class FakeClock: Sendable {
    let value: Mutex<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(_ ms: Int64) { value.withLock { $0 += ms } }
}

/// A driver answering from a script (then `.delivered`), counting calls.
final class ScriptedDriver: OutboxDriver {
    let script: Mutex<[DeliveryResult]>
    let calls = Mutex(0)
    init(_ script: [DeliveryResult]) { self.script = Mutex(script) }
    func deliver(_ message: StoredOutboxMessage) -> DeliveryResult {
        calls.withLock { $0 += 1 }
        return script.withLock { $0.isEmpty ? .delivered : $0.removeFirst() }
    }
}

/// A temp dir with a migrated database.
struct OutboxFixture {
    let dir = TempDir()
    let database: DataStore

    init() throws {
        database = try DataStore(sqlitePath: dir.file("db/outbox.sqlite"), readerCount: 2)
        _ = try Migrator(migrations: EmbeddedMigrations.all).migrate(database.sqlite!)
    }

    func makeOutbox(driver: any OutboxDriver, redacts: Bool = true, maxAttempts: Int = 8, backoffBase: Int64 = 1_000,
                    clock: FakeClock? = nil, logger: Logger? = nil) -> Outbox {
        var settings = OutboxSettings()
        settings.redactsBody = redacts
        settings.maxAttempts = maxAttempts
        settings.backoffBaseMilliseconds = backoffBase
        settings.pollMilliseconds = 50
        var now: @Sendable () -> Int64 = Clock.wallMilliseconds
        if let clock { now = { clock.now } }
        return Outbox(database: database, snowflakes: SnowflakeGenerator(workerID: 1), driver: driver, settings: settings,
                      seal: Self.seal, logger: logger ?? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clock: now, random: { $0.lowerBound })
    }

    /// The seal every fixture outbox uses.
    static let seal = OutboxSeal(secret: [UInt8](repeating: 9, count: 32))

    func rows() throws -> [StoredOutboxMessage] { try OutboxReader.recent(database, limit: 100, seal: Self.seal) }

    func row(_ id: Int64) throws -> SQLRow? {
        try database.read { db in try db.queryOne("SELECT * FROM outbox WHERE id = ?", id) }
    }

    func remove() {
        database.close()
        dir.remove()
    }
}

extension OutboxMessage {
    static func make(channel: Channel = .email, recipient: String = "alice@example.com", kind: String = "password_reset",
                     subject: String? = "Reset your password",
                     body: String = "Reset: https://auth.example.com/reset?token=tok_ABC-123 or use code 482913.") -> OutboxMessage {
        OutboxMessage(channel: channel, recipient: recipient, kind: kind, subject: subject, body: body)
    }
}

/// Polls `condition` every 5 ms for up to `seconds`.
func eventually(seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Clock.wallMilliseconds() + Int64(seconds * 1000)
    while Clock.wallMilliseconds() < deadline {
        if try condition() { return true }
        usleep(5_000)
    }
    return try condition()
}
