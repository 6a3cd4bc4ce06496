import FluxerDomain
import FluxerAPI
import FluxerCrypto
import HTTPServer
import Logging
import SQLite
import FluxerPersistence

/// The composition root: opens the database, applies migrations, builds the routes and runs the server.
public final class App: Sendable {
    /// Shared services.
    public let context: AppContext
    /// The HTTP server.
    public let server: HTTPServer
    /// Accounts and sessions.
    let accounts: Accounts
    /// Expired-row cleanup.
    let maintenance: Maintenance
    /// Single sign-on (and, in dev mode, the built-in provider).
    let sso: SSOService
    private let sink: LogSink

    /// Prepares everything short of listening. Refuses to start on a bad config, a damaged database or a
    /// schema this binary does not know. Metrics go to `metrics` (`serve` passes the process's bootstrapped
    /// export; by default the app gets a registry of its own).
    public init(config: Config, sink: LogSink, clock: @escaping @Sendable () -> Int64 = Clock.wallMilliseconds,
                metrics export: MetricsExport = .isolated()) throws(StartupError) {
        CryptoRuntime.initialize()
        self.sink = sink
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        var logger = Logger(label: "fluxer-auth") { label in
            SinkLogHandler(label: label, sink: sink, level: level, format: config.logFormat)
        }
        logger.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info

        let database = try config.openDatabase(readers: config.databaseReaders, poolSize: config.databasePoolSize)
        guard config.secretKey != nil || config.dev else {
            database.close()
            throw .config(ConfigError(key: "security.secret_key",
                                      reason: "required outside dev mode; set FLUXER_AUTH_SECRET_KEY or run with --dev"))
        }
        let migrator: SchemaMigrator
        do {
            migrator = try SchemaMigrator(postgres: config.databaseURL != nil, migrationsDirectory: config.migrationsDirectory)
            let applied = try migrator.migrate(database)
            if !applied.isEmpty { logger.info("migrations applied", metadata: ["versions": "\(applied)"]) }
            try database.write { db in
                try InstanceStore.recordCreatedAt(Clock.wallMilliseconds(), in: db)
            }
        } catch {
            database.close()
            throw .database("\(error)")
        }
        let secretKey: [UInt8]
        do throws(StartupError) {
            if let configured = config.secretKey { secretKey = configured } else { secretKey = try config.devSecretKey(store: database) }
        } catch {
            database.close()
            throw error
        }

        let snowflakes: LeasedSnowflakeGenerator
        do {
            snowflakes = try LeasedSnowflakeGenerator.acquire(store: SQLWorkerLeaseStore(database: database), logger: logger)
        } catch {
            database.close()
            throw error
        }
        logger.info("snowflake worker id leased", metadata: ["worker_id": "\(snowflakes.workerID.map(String.init) ?? "")"])

        let metrics = Metrics(factory: export.factory, now: Clock.wallMilliseconds()) { export.render() }
        context = AppContext(config: config, database: database, migrator: migrator, metrics: metrics, logger: logger, secretKey: secretKey,
                             snowflakes: snowflakes, clock: clock)

        do {
            accounts = try Accounts(context: context)
        } catch {
            snowflakes.release()
            database.close()
            switch error {
            case is PasswordHasher.Failure:
                throw .config(ConfigError(key: "security.argon2_memory_kib", reason: "argon2id cannot run with these parameters"))
            case let failure as BotTokenKeySet.Failure:
                throw .config(ConfigError(key: "security.bot_token_keys", reason: failure.description))
            default:
                throw .database("\(error)")
            }
        }

        maintenance = Maintenance(database: database, clock: clock, sessionExpiry: config.sessionExpiry)

        var http = HTTPServerConfiguration()
        http.listenAddresses = config.listenAddresses
        if config.eventLoops > 0 { http.eventLoopCount = config.eventLoops }
        if config.workers > 0 { http.workerCount = config.workers }
        http.limits = config.http
        http.uncappedClientAddresses = config.trustedProxies
        http.shutdownGraceMilliseconds = config.shutdownGraceMilliseconds
        let accessLog = config.accessLog
        let logFormat = config.logFormat
        let errorLogger = logger
        let sso = SSOService(accounts: accounts)
        self.sso = sso
        let router = Routes.make(context, accounts: accounts, sso: sso)
        let requests = RequestMetrics(routes: router.routesByIndex, factory: export.factory)
        server = HTTPServer(configuration: http, router: router) { record in
            requests.record(record)
            if accessLog { sink.append { AccessLog.append(record, format: logFormat, to: &$0) } }
            if let error = record.unexpectedError {
                errorLogger.error("unexpected handler error", metadata: [
                    "route": "\(record.route)", "request_id": "\(record.requestID)",
                    "error_type": "\(String(describing: type(of: error)))",
                ])
            }
        }
        let server = self.server
        var sources = Metrics.Sources()
        sources.openConnections = { server.openConnections }
        sources.httpQueue = { server.queuedJobs }
        let hashPool = accounts.hashPool
        sources.argon2Queue = { hashPool.queuedJobs }
        let outbox = context.outbox
        sources.outboxBacklog = { outbox.backlog }
        sources.databaseBackend = database.dialect == .postgres ? "postgres" : "sqlite"
        sources.databaseBusyRetries = { database.busyRetries }
        sources.databaseGroupCommits = { database.groupCommitCounts }
        sources.databaseLogSyncs = { database.logSyncs }
        metrics.bind(sources)
    }

    /// Starts listening.
    public func start() throws(StartupError) {
        context.snowflakes.startHeartbeat()
        accounts.start()
        context.audit.start()
        maintenance.start()
        do {
            try server.start()
        } catch {
            // The process exits next: free the worker id now rather than leave it taken until the lease expires.
            context.snowflakes.release()
            throw .listen("\(error)")
        }
        context.outbox.start()
        sso.boundPort.store(port)
        let addresses = zip(context.config.listenAddresses, server.boundPorts).map { address, port in
            ListenAddress(host: address.host, port: UInt16(port)).description
        }
        context.logger.notice("listening", metadata: [
            "addresses": "\(addresses.joined(separator: ","))", "dev": "\(context.config.dev)",
            "database": "\(context.config.databaseDescription)",
        ])
    }

    /// The bound port of the first listen address.
    public var port: Int { server.boundPorts.first ?? 0 }

    /// Graceful stop: drain requests, then close the database cleanly (WAL checkpoint) and flush logs.
    public func shutdown() {
        server.shutdown()
        accounts.stop()
        maintenance.stop()
        context.audit.stop()
        context.outbox.stop()
        // Last: nothing mints ids any more, so the recorded high-water mark covers every id this process minted.
        context.snowflakes.release()
        try? context.database.checkpoint()
        context.database.close()
        context.logger.notice("stopped")
        sink.flush()
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
