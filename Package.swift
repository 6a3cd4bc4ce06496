// swift-tools-version:6.0
import PackageDescription

// Layers point down only (DESIGN.md "Architecture"):
//   CFluxerShim, CFluxerCurl → FluxerJSON, HTTPServer, HTTPClient, FluxerCrypto, SQLite, Postgres → FluxerDomain,
//   FluxerATProto → FluxerPersistence → FluxerAPI (routes, services) → FluxerApp (composition, background jobs, CLI)
//   → fluxer-auth (main.swift). The domain imports no driver and no HTTP module; all SQL is in FluxerPersistence.
// (FluxerCrypto, not Crypto: swift-crypto's module is named Crypto.)
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug)),
    // Release builds skip the run-time exclusivity checks (the static ones stay): they cost ~5 % of the
    // instructions of a token check (callgrind, `bench/instructions.sh`), and what they catch is an overlapping
    // access on one thread (the access set is per thread, not a race detector), a deterministic bug that the
    // test suite, built in debug with the checks on, reaches first.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "fluxer-auth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fluxer-auth", targets: ["fluxer-auth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Metrics are recorded through swift-metrics (FluxerAPI) and exported in Prometheus text (FluxerApp).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "CFluxerShim",
            linkerSettings: [
                .linkedLibrary("sqlite3"),
                .linkedLibrary("ssl"),
                .linkedLibrary("crypto"),
                .linkedLibrary("sodium"),
                .linkedLibrary("qrencode"),
                .linkedLibrary("pq"),
                .linkedLibrary("resolv"),
            ]
        ),
        // libcurl, with typed one-call wrappers for its variadic functions (see CFluxerCurl.h).
        .systemLibrary(name: "CFluxerCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // JSON values, strict RFC 8259 checking and string quoting: shared by the server, the domain and the API.
        .target(name: "FluxerJSON", swiftSettings: strict),
        .target(name: "HTTPServer", dependencies: ["CFluxerShim", "FluxerJSON"], swiftSettings: strict),
        // Outbound HTTP on libcurl: verified TLS, timeouts, size caps, an address policy checked at connect time.
        .target(name: "HTTPClient", dependencies: ["CFluxerCurl"], swiftSettings: strict),
        .target(name: "FluxerCrypto", dependencies: ["CFluxerShim"], swiftSettings: strict),
        .target(name: "SQLite", dependencies: ["CFluxerShim"], swiftSettings: strict),
        .target(name: "Postgres", dependencies: ["CFluxerShim"], swiftSettings: strict),
        // One transaction type over both backends; the stores speak only to it.
        // Every SQL statement: the transaction type over both backends (DataStore, SQLTransaction), the
        // schema migrations, and one store per feature under Stores/ (see Stores/README.md).
        .target(
            name: "FluxerPersistence",
            dependencies: ["SQLite", "Postgres", "FluxerCrypto", "FluxerDomain", "FluxerJSON"],
            exclude: ["Stores/README.md"],
            swiftSettings: strict,
            plugins: ["FluxerEmbed"]
        ),
        // Users, callers, sessions, applications, OAuth grants, MFA and WebAuthn, the outbox's messages: pure
        // types and rules. The compiler keeps it so: it can import neither HTTPServer nor a database.
        .target(name: "FluxerDomain", dependencies: ["FluxerCrypto", "FluxerJSON"], swiftSettings: strict, plugins: ["FluxerEmbed"]),
        // Sign in with Bluesky: the AT Protocol OAuth client (identity, discovery, PAR, DPoP, private_key_jwt) and
        // its strict mock. Outbound I/O goes through a transport protocol: no HTTP module, no database.
        .target(name: "FluxerATProto", dependencies: ["FluxerCrypto", "FluxerJSON"], swiftSettings: strict),
        // The API: config, the route table and its handlers, services (accounts, OAuth2 grants, MFA, SSO), filters.
        .target(
            name: "FluxerAPI",
            dependencies: [
                "CFluxerShim", "HTTPServer", "FluxerCrypto", "FluxerJSON", "FluxerDomain", "SQLite", "Postgres", "FluxerPersistence",
                "FluxerATProto", "HTTPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict,
            plugins: ["FluxerEmbed"]
        ),
        // Generated sources are build products: migrations/*.sql, migrations/postgres/*.sql, the password
        // blocklist and the OpenAPI document (openapi/fluxer-auth.json) become Swift at build time.
        .executableTarget(name: "fluxer-embed", swiftSettings: strict),
        .plugin(name: "FluxerEmbed", capability: .buildTool(), dependencies: ["fluxer-embed"]),
        // Composition root, background services, database copy and every CLI command's implementation.
        .target(
            name: "FluxerApp",
            dependencies: [
                "FluxerAPI", "HTTPServer", "FluxerCrypto", "FluxerJSON", "FluxerDomain", "SQLite", "Postgres", "FluxerPersistence",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // main.swift only.
        .executableTarget(name: "fluxer-auth", dependencies: ["FluxerApp"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "FluxerJSON"], swiftSettings: strict),
        // Real loopback servers: HTTPServer as a well-behaved peer, raw sockets for misbehaving ones, openssl for TLS.
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPServer"], swiftSettings: strict),
        // CFluxerShim directly: the SHA-256 tests switch its compression path and compare with OpenSSL's digest.
        .testTarget(name: "FluxerCryptoTests", dependencies: ["FluxerCrypto", "CFluxerShim"], swiftSettings: strict),
        .testTarget(name: "FluxerATProtoTests", dependencies: ["FluxerATProto", "FluxerCrypto", "FluxerJSON"], swiftSettings: strict),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], swiftSettings: strict),
        // The throwaway PostgreSQL cluster, shared by every test target that needs a real server.
        .target(name: "PostgresTestSupport", dependencies: ["Postgres"], path: "Tests/PostgresTestSupport", swiftSettings: strict),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "PostgresTestSupport"], swiftSettings: strict),
        // The embedded PostgreSQL migrations against the SQLite ones: apply, schema parity, per-table round trips.
        .testTarget(
            name: "PostgresSchemaTests",
            dependencies: ["FluxerAPI", "FluxerApp", "FluxerPersistence", "SQLite", "Postgres", "PostgresTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FluxerPersistenceTests", dependencies: ["FluxerPersistence", "FluxerDomain", "FluxerCrypto", "Postgres", "PostgresTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "FluxerAuthTests", dependencies: ["FluxerAPI", "FluxerApp", "FluxerDomain", "FluxerJSON", "HTTPServer", "FluxerPersistence", "SQLite", "Postgres", "PostgresTestSupport",
                                                               .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: strict),
    ]
)
