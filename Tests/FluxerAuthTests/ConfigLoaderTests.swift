import Testing
@testable import FluxerAPI
@testable import FluxerApp
import HTTPServer

@Suite struct ConfigLoaderTests {
    @Test func defaults_matchTheDesignContract() throws {
        let config = try ConfigLoader.load(file: nil, environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.databasePath == "./data/fluxer-auth.sqlite")
        #expect(config.http == HTTPLimits())
        #expect(config.secretKey == nil)
        #expect(config.dev == false)
        #expect(config.effectivePublicURL == "http://127.0.0.1:8080")
    }

    @Test func precedence_flagsOverEnvironmentOverFileOverDefaults() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", """
        [server]
        port = 9000
        host = "::1"
        max_connections = 77
        [database]
        path = "/tmp/from-file.sqlite"
        """)
        let fileOnly = try ConfigLoader.load(file: dir.file("c.toml"), environment: [:])
        #expect(fileOnly.port == 9000)
        #expect(fileOnly.host == "::1")
        #expect(fileOnly.http.maxConnections == 77)
        #expect(fileOnly.effectivePublicURL == "http://[::1]:9000")

        let env = ["FLUXER_AUTH_PORT": "9001", "FLUXER_AUTH_DATABASE": "/tmp/from-env.sqlite", "FLUXER_AUTH_SERVER_MAX_CONNECTIONS": "88"]
        let withEnv = try ConfigLoader.load(file: dir.file("c.toml"), environment: env)
        #expect(withEnv.port == 9001)
        #expect(withEnv.databasePath == "/tmp/from-env.sqlite")
        #expect(withEnv.http.maxConnections == 88)
        #expect(withEnv.host == "::1")

        let withFlags = try ConfigLoader.load(file: dir.file("c.toml"), environment: env, flags: ["server.port": "9002", "dev": "true"])
        #expect(withFlags.port == 9002)
        #expect(withFlags.dev)
        #expect(withFlags.databasePath == "/tmp/from-env.sqlite")
    }

    @Test func configFileFromEnvironmentVariable() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", "dev = true\n")
        let config = try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_CONFIG": dir.file("c.toml")])
        #expect(config.dev)
    }

    @Test(arguments: [
        ("[server]\nport = 70000\n", "server.port"),
        ("[server]\nport = \"80\"\n", "server.port"),
        ("[server]\nprot = 80\n", "server.prot"),
        ("[server]\nhost = \"localhost\"\n", "server.host"),
        ("[server]\nlisten = [\"nohost\"]\n", "server.listen"),
        ("[database]\nreaders = 0\n", "database.readers"),
        ("[security]\nsecret_key = \"c2hvcnQ\"\n", "security.secret_key"),
        ("[security]\nsnowflake_worker_id = 1024\n", "security.snowflake_worker_id"),
        ("[log]\nlevel = \"loud\"\n", "log.level"),
        ("dev = \"yes\"\n", "dev"),
        ("[server\nport = 1\n", "config"),
        ("[server]\nport = 1\nport = 2\n", "config"),
        ("[server]\nport 8080\n", "config"),
        ("[server]\nhost = \"unterminated\n", "config"),
    ])
    func invalidFile_namesTheKey(text: String, key: String) throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", text)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: dir.file("c.toml"), environment: [:]) }
        #expect(error?.key == key)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func secretValue_neverAppearsInTheError() throws {
        let secret = "not-base64-!!-but-secret-looking-value-123"
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_SECRET_KEY": secret])
        }
        #expect(error?.key == "security.secret_key")
        #expect(error?.description.contains(secret) == false)
    }

    @Test(arguments: [("FLUXER_AUTH_PORT", "abc", "server.port"), ("FLUXER_AUTH_PORT", "-1", "server.port"),
                      ("FLUXER_AUTH_DEV", "maybe", "dev"), ("FLUXER_AUTH_SERVER_HEAD_TIMEOUT_MS", "5", "server.head_timeout_ms")])
    func invalidEnvironment_namesTheKey(variable: String, value: String, key: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: nil, environment: [variable: value]) }
        #expect(error?.key == key)
    }

    /// Issue 13: worker ids are leased per process; the old constant is refused with advice, from every layer.
    @Test func removedSnowflakeWorkerID_isRefusedWithAdvice() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", "[security]\nsnowflake_worker_id = 3\n")
        let errors = [
            #expect(throws: ConfigError.self) { try ConfigLoader.load(file: dir.file("c.toml"), environment: [:]) },
            #expect(throws: ConfigError.self) {
                try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_SECURITY_SNOWFLAKE_WORKER_ID": "3"])
            },
            #expect(throws: ConfigError.self) { try ConfigLoader.load(file: nil, environment: [:], flags: ["security.snowflake_worker_id": "3"]) },
        ]
        for error in errors {
            #expect(error?.key == "security.snowflake_worker_id")
            #expect(error?.description.contains("leases its snowflake worker id from the database") == true)
            #expect(error?.description.contains("\n") == false)
        }
        #expect(!ConfigLoader.documentation.contains { $0.key == "security.snowflake_worker_id" })
    }

    @Test func missingFile_isAConfigError() {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: "/nonexistent/x.toml", environment: [:]) }
        #expect(error?.key == "config")
    }

    @Test func secretKey_acceptsBase64URLOfThirtyTwoBytes() throws {
        let key = String(repeating: "A", count: 43)
        let config = try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_SECRET_KEY": key])
        #expect(config.secretKey?.count == 32)
        let empty = try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_SECRET_KEY": ""])
        #expect(empty.secretKey == nil)
    }

    @Test func listenAddresses_ipv4AndIPv6() throws {
        let config = try ConfigLoader.load(file: nil, environment: [:], flags: ["server.listen": "[::1]:8081, 127.0.0.2:9"])
        #expect(config.listenAddresses == [
            ListenAddress(host: "127.0.0.1", port: 8080), ListenAddress(host: "::1", port: 8081), ListenAddress(host: "127.0.0.2", port: 9),
        ])
    }

    /// Session (SE-07) and grant (RT-06) lifetimes: durations with a unit, their defaults in the example file,
    /// and bad values refused with the key named.
    @Test func sessionAndGrantLifetimeKeys_parseDurations() throws {
        let defaults = try ConfigLoader.load(file: nil, environment: [:])
        #expect(defaults.sessionIdleTimeoutMilliseconds == 30 * 86_400_000)
        #expect(defaults.sessionLifetimeMilliseconds == 180 * 86_400_000)
        #expect(defaults.oauthGrantLifetimeMilliseconds == 180 * 86_400_000)
        let path = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/config/fluxer-auth.example.toml"
        let example = try ConfigLoader.load(file: path, environment: [:])
        #expect(example.sessionExpiry == defaults.sessionExpiry)
        #expect(example.oauthGrantLifetimeMilliseconds == defaults.oauthGrantLifetimeMilliseconds)
        let set = try ConfigLoader.load(file: nil, environment: [
            "FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT": "15m", "FLUXER_AUTH_SECURITY_SESSION_LIFETIME": "12h",
            "FLUXER_AUTH_OAUTH_GRANT_LIFETIME": "90d",
        ])
        #expect(set.sessionExpiry == SessionExpiry(idleMilliseconds: 15 * 60_000, absoluteMilliseconds: 12 * 3_600_000))
        #expect(set.oauthGrantLifetimeMilliseconds == 90 * 86_400_000)
        #expect(try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_SECURITY_SESSION_LIFETIME": "3650d"]).sessionLifetimeMilliseconds
            == 3650 * 86_400_000)
        let bad: [(String, String, String)] = [
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "30", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "4m", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "0d", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "-1d", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "+1d", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "1 d", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_IDLE_TIMEOUT", "1w", "security.session_idle_timeout"),
            ("FLUXER_AUTH_SECURITY_SESSION_LIFETIME", "3651d", "security.session_lifetime"),
            ("FLUXER_AUTH_SECURITY_SESSION_LIFETIME", "99999999d", "security.session_lifetime"),
            ("FLUXER_AUTH_SECURITY_SESSION_LIFETIME", "", "security.session_lifetime"),
            ("FLUXER_AUTH_OAUTH_GRANT_LIFETIME", "23h", "oauth.grant_lifetime"),
            ("FLUXER_AUTH_OAUTH_GRANT_LIFETIME", "１d", "oauth.grant_lifetime"),
        ]
        for (variable, value, key) in bad {
            let error = #expect(throws: ConfigError.self, "\(variable)=\(value)") { try ConfigLoader.load(file: nil, environment: [variable: value]) }
            #expect(error?.key == key, "\(value)")
        }
    }

    @Test func exampleFile_loadsAndMatchesDefaults() throws {
        let path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let config = try ConfigLoader.load(file: "/" + path + "/config/fluxer-auth.example.toml", environment: [:])
        let defaults = Config()
        #expect(config.port == defaults.port)
        #expect(config.http == defaults.http)
        #expect(config.databasePath == defaults.databasePath)
        #expect(config.databaseReaders == defaults.databaseReaders)
        #expect(config.shutdownGraceMilliseconds == defaults.shutdownGraceMilliseconds)
    }

    @Test func exampleFile_documentsEveryKey() throws {
        let path = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/config/fluxer-auth.example.toml"
        let values = try TOMLSubset.parse(String(decoding: try readAll(path), as: UTF8.self))
        for entry in ConfigLoader.documentation {
            #expect(values[entry.key] != nil, "example file lacks \(entry.key)")
        }
    }
}

func readAll(_ path: String) throws -> [UInt8] {
    struct Missing: Error {}
    guard let data = FileManagerLite.read(path) else { throw Missing() }
    return data
}

enum FileManagerLite {
    static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            out += buf[0..<n]
            if n < buf.count { return out }
        }
    }
}

import Glibc
import FluxerDomain
