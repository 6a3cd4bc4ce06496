// swift-tools-version:6.0
import PackageDescription

// Layers point down only: CFluxerShim, CFluxerCurl → HTTPServer / HTTPClient / FluxerCrypto / SQLite / Postgres →
// FluxerAuth → fluxer-auth.
// (FluxerAuth depends on Postgres for its embedded PostgreSQL migrations; the backend switch comes later.)
// (FluxerCrypto, not Crypto: swift-crypto's module is named Crypto.)
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug)),
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
        .target(name: "FluxerPersistence", dependencies: ["SQLite", "Postgres"], swiftSettings: strict),
        // Users, callers, sessions, applications, OAuth grants, MFA and WebAuthn, the outbox's messages: pure
        // types and rules. The compiler keeps it so: it can import neither HTTPServer nor a database.
        .target(name: "FluxerDomain", dependencies: ["FluxerCrypto", "FluxerJSON"], swiftSettings: strict),
        .target(
            name: "FluxerAuth",
            dependencies: [
                "CFluxerShim", "HTTPServer", "FluxerCrypto", "FluxerJSON", "FluxerDomain", "SQLite", "Postgres", "FluxerPersistence",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Storage/README.md"],
            swiftSettings: strict,
            plugins: ["FluxerEmbed"]
        ),
        // Generated sources are build products: migrations/*.sql, migrations/postgres/*.sql and the password
        // blocklist become Swift at build time.
        .executableTarget(name: "fluxer-embed", swiftSettings: strict),
        .plugin(name: "FluxerEmbed", capability: .buildTool(), dependencies: ["fluxer-embed"]),
        .executableTarget(
            name: "fluxer-auth",
            dependencies: [
                "FluxerAuth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "FluxerJSON"], swiftSettings: strict),
        // Real loopback servers: HTTPServer as a well-behaved peer, raw sockets for misbehaving ones, openssl for TLS.
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPServer"], swiftSettings: strict),
        .testTarget(name: "FluxerCryptoTests", dependencies: ["FluxerCrypto"], swiftSettings: strict),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], swiftSettings: strict),
        // The throwaway PostgreSQL cluster, shared by every test target that needs a real server.
        .target(name: "PostgresTestSupport", dependencies: ["Postgres"], path: "Tests/PostgresTestSupport", swiftSettings: strict),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "PostgresTestSupport"], swiftSettings: strict),
        // The embedded PostgreSQL migrations against the SQLite ones: apply, schema parity, per-table round trips.
        .testTarget(
            name: "PostgresSchemaTests",
            dependencies: ["FluxerAuth", "SQLite", "Postgres", "PostgresTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FluxerPersistenceTests", dependencies: ["FluxerPersistence", "Postgres", "PostgresTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "FluxerAuthTests", dependencies: ["FluxerAuth", "FluxerDomain", "FluxerJSON", "HTTPServer", "FluxerPersistence", "SQLite", "Postgres", "PostgresTestSupport"], swiftSettings: strict),
    ]
)
