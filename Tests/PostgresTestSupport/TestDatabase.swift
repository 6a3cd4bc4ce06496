import Postgres

/// A fresh database on the shared cluster, for one test.
package struct TestDatabase {
    package let cluster: TestCluster
    package let name: String

    /// A new, empty database.
    package static func make() throws -> TestDatabase {
        let cluster = try TestCluster.shared()
        return TestDatabase(cluster: cluster, name: try cluster.createDatabase())
    }

    /// Its URL (with the cluster's password unless told otherwise).
    package var url: String { cluster.url(name) }

    /// A configuration for it, with test-friendly defaults.
    package func configuration(
        poolSize: Int = 4, checkoutTimeoutMilliseconds: Int = 2000, maxTransactionAttempts: Int = 5
    ) throws -> PostgresConfiguration {
        try PostgresConfiguration(
            url: url, poolSize: poolSize, connectTimeoutSeconds: 5,
            checkoutTimeoutMilliseconds: checkoutTimeoutMilliseconds, maxTransactionAttempts: maxTransactionAttempts,
            applicationName: "postgres-tests")
    }

    /// A pool on it.
    package func open(
        poolSize: Int = 4, checkoutTimeoutMilliseconds: Int = 2000, maxTransactionAttempts: Int = 5
    ) throws -> PostgresDatabase {
        try PostgresDatabase(
            configuration: configuration(
                poolSize: poolSize, checkoutTimeoutMilliseconds: checkoutTimeoutMilliseconds,
                maxTransactionAttempts: maxTransactionAttempts))
    }
}

/// Runs `body` with a pool on a fresh database; closes the pool afterwards.
@discardableResult
package func withDatabase<T>(
    poolSize: Int = 4, checkoutTimeoutMilliseconds: Int = 2000, maxTransactionAttempts: Int = 5,
    _ body: (PostgresDatabase, TestDatabase) throws -> T
) throws -> T {
    let test = try TestDatabase.make()
    let db = try test.open(
        poolSize: poolSize, checkoutTimeoutMilliseconds: checkoutTimeoutMilliseconds,
        maxTransactionAttempts: maxTransactionAttempts)
    defer { db.close() }
    return try body(db, test)
}
