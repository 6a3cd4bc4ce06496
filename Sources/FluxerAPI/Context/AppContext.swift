import FluxerCrypto
import HTTPServer
import Logging
import FluxerPersistence
import SQLite

/// The services every feature uses, built once at start and shared (immutable) by all handlers.
public final class AppContext: Sendable {
    /// The configuration in force.
    public let config: Config
    /// The database (SQLite or PostgreSQL).
    public let database: DataStore
    /// The schema migrator (for `/readyz`).
    public let migrator: SchemaMigrator
    /// Counters, gauges and histograms for `/metrics`.
    public let metrics: Metrics
    /// Application log.
    public let logger: Logger
    /// The server secret keying HMACs and secret boxes.
    public let secretKey: [UInt8]
    /// Snowflake ids, under a worker id leased from the database for this process.
    public let snowflakes: LeasedSnowflakeGenerator
    /// Wall-clock milliseconds; injected so tests can move time.
    public let clock: @Sendable () -> Int64
    /// Online CPUs.
    public let cpuCount: Int
    /// Email and SMS: stored, then delivered by the configured driver.
    public let outbox: Outbox
    /// Security events.
    public let audit: AuditLog

    package init(config: Config, database: DataStore, migrator: SchemaMigrator, metrics: Metrics, logger: Logger, secretKey: [UInt8],
         snowflakes: LeasedSnowflakeGenerator, clock: @escaping @Sendable () -> Int64) {
        self.clock = clock
        self.cpuCount = HTTPServerConfiguration().eventLoopCount
        self.config = config
        self.database = database
        self.migrator = migrator
        self.metrics = metrics
        self.logger = logger
        self.secretKey = secretKey
        self.snowflakes = snowflakes
        self.audit = AuditLog(database: database, retentionDays: config.auditRetentionDays, clock: clock, metrics: metrics)
        self.outbox = Outbox.make(config: config, database: database, snowflakes: snowflakes, secretKey: secretKey, logger: logger)
    }
}
