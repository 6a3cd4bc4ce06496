/// How a `PostgresDatabase` connects and how its pool behaves. Every limit is validated by `init`.
public struct PostgresConfiguration: Sendable, Equatable {
    /// Where to connect.
    public let url: PostgresURL
    /// The most connections the pool opens. Each one is a server backend; keep `nodes × poolSize` below the
    /// server's `max_connections`.
    public let poolSize: Int
    /// Seconds libpq may spend connecting to each host address, unless the URL sets `connect_timeout` itself.
    /// libpq treats anything below 2 as 2 and 0 as "wait forever" (libpq docs §34.1.2 `connect_timeout`).
    public let connectTimeoutSeconds: Int
    /// How long `read` and `write` wait for a free connection before throwing `.unavailable`.
    public let checkoutTimeoutMilliseconds: Int
    /// How many times `write` runs a transaction that fails with a serialization failure or a deadlock, the
    /// first run included.
    public let maxTransactionAttempts: Int
    /// `application_name` shown in `pg_stat_activity`, unless the URL sets one.
    public let applicationName: String

    /// Limits that `init` enforces.
    public static let poolSizeRange = 1...1000
    /// Limits that `init` enforces.
    public static let maxTransactionAttemptsRange = 1...100

    /// Validates the URL and the limits.
    ///
    /// - Throws: `PostgresError` of kind `.invalidURL` for a bad URL, `.invalidArgument` for a limit out of range.
    public init(
        url: String, poolSize: Int = 8, connectTimeoutSeconds: Int = 5, checkoutTimeoutMilliseconds: Int = 2000,
        maxTransactionAttempts: Int = 5, applicationName: String = "postgres-swift"
    ) throws(PostgresError) {
        let url = try PostgresURL(url)
        try self.init(
            url: url, poolSize: poolSize, connectTimeoutSeconds: connectTimeoutSeconds,
            checkoutTimeoutMilliseconds: checkoutTimeoutMilliseconds,
            maxTransactionAttempts: maxTransactionAttempts, applicationName: applicationName)
    }

    /// Validates the limits for an already validated URL.
    public init(
        url: PostgresURL, poolSize: Int = 8, connectTimeoutSeconds: Int = 5, checkoutTimeoutMilliseconds: Int = 2000,
        maxTransactionAttempts: Int = 5, applicationName: String = "postgres-swift"
    ) throws(PostgresError) {
        guard Self.poolSizeRange.contains(poolSize) else {
            throw .invalidArgument("pool size must be from 1 to \(Self.poolSizeRange.upperBound)")
        }
        guard connectTimeoutSeconds >= 0 else { throw .invalidArgument("connect timeout must not be negative") }
        guard checkoutTimeoutMilliseconds >= 0 else {
            throw .invalidArgument("checkout timeout must not be negative")
        }
        guard Self.maxTransactionAttemptsRange.contains(maxTransactionAttempts) else {
            throw .invalidArgument("transaction attempts must be from 1 to 100")
        }
        guard !applicationName.utf8.contains(0) else {
            throw .invalidArgument("application name must not contain NUL")
        }
        self.url = url
        self.poolSize = poolSize
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.checkoutTimeoutMilliseconds = checkoutTimeoutMilliseconds
        self.maxTransactionAttempts = maxTransactionAttempts
        self.applicationName = applicationName
    }

    /// The keyword/value pairs handed to `PQconnectdbParams`, in order; when a keyword repeats, libpq keeps the
    /// last (libpq docs §34.1 `PQconnectdbParams`). Our defaults come first so the URL overrides them; the client
    /// encoding comes last because rows are decoded as UTF-8.
    ///
    /// `defaults` are extra settings the URL may override (the listener's TCP keepalives).
    func connectionParameters(defaults: [(keyword: String, value: String)] = []) -> [(keyword: String, value: String)] {
        [("connect_timeout", String(connectTimeoutSeconds)), ("application_name", applicationName)]
            + defaults
            + url.parameters
            + [("client_encoding", "UTF8")]
    }
}
