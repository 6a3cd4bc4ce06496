import FluxerAPI
import FluxerCrypto
import FluxerPersistence
import SQLite
import FluxerDomain
import FluxerJSON

/// `fluxer-auth user …`: seed accounts and mint sessions for scripts, straight on the database (migrated
/// first), printing JSON.
public enum UserCommands {
    /// Errors a user command reports as one line.
    public enum Failure: Error, CustomStringConvertible {
        /// Refused input, an unknown id, a failed operation (exit 1).
        case invalid(String)
        case startup(StartupError)
        /// A destructive command without its confirmation flag (`--yes`, `--force`), saying what it would do, or
        /// a request this command does not carry out itself (exit 2). Nothing was changed.
        case refused(String)
        /// A check found problems: its JSON report still goes to stdout (exit 1).
        case problems(report: String, summary: String)

        public var description: String {
            switch self {
            case .invalid(let message), .refused(let message): message
            case .startup(let e): e.description
            case .problems(_, let summary): summary
            }
        }

        /// Exit status.
        public var exitCode: Int32 {
            switch self {
            case .startup(let e): e.exitCode
            case .refused: 2
            case .invalid, .problems: 1
            }
        }
    }

    /// Creates a user; prints `{id, username, discriminator, email, verified}`.
    /// Ids are minted under `snowflakes` (the seed command's lease) or, when nil, under a worker id leased for this call.
    public static func create(config: Config, email: String, username: String, password: String, verified: Bool,
                              snowflakes: (any SnowflakeSource)? = nil) throws(Failure) -> String {
        var errors: [FieldError] = []
        if let e = AccountValidation.email(email) { errors.append(e) }
        if let e = AccountValidation.username(username) { errors.append(e) }
        if let e = AccountValidation.newPassword(password, username: username, email: email, blocklist: config.passwordBlocklist) { errors.append(e) }
        if !errors.isEmpty { throw .invalid(errors.map { "\($0.path): \($0.message)" }.joined(separator: "; ")) }
        CryptoRuntime.initialize()
        let hasher = PasswordHasher(opsLimit: UInt64(config.argon2OpsLimit), memLimitBytes: config.argon2MemoryKiB * 1024)
        let hash: String
        do { hash = try hasher.hash(password) } catch { throw .invalid("cannot hash the password") }
        return try withMintingDatabase(config, snowflakes: snowflakes) { db, snowflakes throws(Failure) in
            do {
                let user = try db.write { conn in
                    try UserStore.insert(.init(
                        id: try snowflakes.next(), username: username, globalName: nil,
                        email: email, verified: verified, passwordHash: hash, createdAt: Clock.wallMilliseconds()), in: conn)
                }
                return JSONValue.object([
                    ("id", .string(String(user.id))), ("username", .string(user.username)),
                    ("discriminator", .string(user.discriminatorText)), ("email", .string(email)), ("verified", .bool(user.verified)),
                ]).serialized
            } catch UserStore.InsertError.emailTaken {
                throw .invalid("email: already in use")
            } catch UserStore.InsertError.usernameExhausted {
                throw .invalid("username: too many users have this username")
            } catch {
                throw .invalid("database: \(error)")
            }
        }
    }

    /// Mints a session for the user with that email; prints `{user_id, token}`.
    public static func token(config: Config, email: String) throws(Failure) -> String {
        try withDatabase(config) { db throws(Failure) in
            do {
                let result: (UInt64, String)? = try db.write { conn in
                    guard let user = try UserStore.find(email: email, in: conn) else { return nil }
                    let token = try SessionStore.create(userID: user.id, ip: nil, userAgent: "fluxer-auth-cli", isDesktop: false,
                                                        now: Clock.wallMilliseconds(), in: conn)
                    return (user.id, token)
                }
                guard let (userID, token) = result else { throw Failure.invalid("email: no user with that email") }
                return JSONValue.object([("user_id", .string(String(userID))), ("token", .string(token))]).serialized
            } catch let failure as Failure {
                throw failure
            } catch SessionRefusal.accountDisabled {
                throw .invalid("email: the account is disabled (fluxer-auth user enable)")
            } catch {
                throw .invalid("database: \(error)")
            }
        }
    }

    static func withDatabase(_ config: Config, _ body: (DataStore) throws(Failure) -> String) throws(Failure) -> String {
        do {
            _ = try MigrateCommand.run(config: config)
        } catch {
            throw .startup(error)
        }
        let database: DataStore
        do { database = try config.openDatabase() } catch { throw .startup(error) }
        defer { database.close() }
        return try body(database)
    }

    /// `withDatabase`, minting ids under `snowflakes` or, when nil, under a worker id leased from the database for
    /// the length of `body` (released before the database closes; a killed command's lease simply expires).
    static func withMintingDatabase(_ config: Config, snowflakes: (any SnowflakeSource)?,
                                    _ body: (DataStore, any SnowflakeSource) throws(Failure) -> String) throws(Failure) -> String {
        try withDatabase(config) { database throws(Failure) in
            if let snowflakes { return try body(database, snowflakes) }
            let leased: LeasedSnowflakeGenerator
            do throws(StartupError) {
                leased = try LeasedSnowflakeGenerator.acquire(store: SQLWorkerLeaseStore(database: database))
            } catch {
                throw .startup(error)
            }
            leased.startHeartbeat()
            defer { leased.release() }
            return try body(database, leased)
        }
    }

    /// Runs `body` with a worker id leased for all of it, for commands that mint many ids (seed).
    static func withLease<T>(_ config: Config, _ body: (LeasedSnowflakeGenerator) throws(Failure) -> T) throws(Failure) -> T {
        do {
            _ = try MigrateCommand.run(config: config)
        } catch {
            throw .startup(error)
        }
        let database: DataStore
        do { database = try config.openDatabase() } catch { throw .startup(error) }
        defer { database.close() }
        let leased: LeasedSnowflakeGenerator
        do {
            leased = try LeasedSnowflakeGenerator.acquire(store: SQLWorkerLeaseStore(database: database))
        } catch {
            throw .startup(error)
        }
        leased.startHeartbeat()
        defer { leased.release() }
        return try body(leased)
    }
}
