import Postgres
import Testing

@Suite struct PostgresURLTests {
    static let secret = "hunter2-Secret"

    @Test(arguments: [
        ("mysql://u:\(secret)@h/db", "must start with postgresql://"),
        ("u:\(secret)@h/db", "must start with postgresql://"),
        ("postgresql://u:\(secret)@h:99999/db", "port must be a number"),
        ("postgresql://u:\(secret)@h:0/db", "port must be a number"),
        ("postgresql://u:\(secret)@h:5432/db?sslmode=sometimes", "sslmode must be one of"),
        ("postgresql://u:\(secret)@h:5432/db?connect_timeout=soon", "connect_timeout must be"),
        ("postgresql://u:\(secret)@h/db?no_such_option=1", "libpq cannot parse it"),
        ("postgresql://u:\(secret)%zz@h/db", "two hex digits"),
        ("postgresql://u:\(secret)%00@h/db", "%00"),
        ("postgresql://u:\(secret) x@h/db", "spaces or control characters"),
    ])
    func badURLsAreRefusedWithoutThePassword(url: String, reason: String) {
        let error = #expect(throws: PostgresError.self) { try PostgresURL(url) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(Self.secret) == false)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func descriptionLeavesOutThePasswordAndQuery() throws {
        let url = try PostgresURL("postgresql://app:\(Self.secret)@db.internal:6432/auth?sslmode=verify-full&password=x")
        #expect(url.description == "postgresql://app@db.internal:6432/auth?sslmode=verify-full")
        #expect(url.user == "app" && url.host == "db.internal" && url.port == "6432" && url.database == "auth")
    }

    @Test func acceptsTheLibpqForms() throws {
        _ = try PostgresURL("postgres://localhost")
        _ = try PostgresURL("postgresql://")
        _ = try PostgresURL("postgresql://u@h1:5432,h2:5433/db?target_session_attrs=read-write&connect_timeout=3")
        _ = try PostgresURL("postgresql://u:p%40ss@%2Fvar%2Frun%2Fpostgresql/db")
    }

    @Test func configurationRefusesLimitsOutOfRange() {
        let url = "postgresql://u@h/db"
        #expect(throws: PostgresError.self) { try PostgresConfiguration(url: url, poolSize: 0) }
        #expect(throws: PostgresError.self) { try PostgresConfiguration(url: url, checkoutTimeoutMilliseconds: -1) }
        #expect(throws: PostgresError.self) { try PostgresConfiguration(url: url, maxTransactionAttempts: 0) }
    }
}
