import ArgumentParser
import FluxerCrypto
import FluxerPersistence
import Foundation
import PostgresTestSupport
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// What one CLI command did: its stdout (the JSON document), the one line it would print on stderr, its exit status.
struct CLIResult {
    var exitCode: Int32
    var stdout: String
    var stderr: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
}

/// Runs `fluxer-auth` commands as the binary parses them (`FluxerAuthCommand.parseAsRoot`), with `--config` naming a
/// file that points at a running app's database (SQLite file or PostgreSQL database) with its secret key: the
/// operator's view, beside a live server.
struct AdminCLI {
    let configFile: String

    init(running: RunningApp) throws {
        let config = running.app.context.config
        var toml = "[security]\nsecret_key = \"\(Base64URL.encode(try #require(config.secretKey)))\"\n[database]\npath = \"\(config.databasePath)\"\n"
        if let url = config.databaseURL {
            toml += "url = \"\(try TestCluster.shared().url(try #require(url.database)))\"\n"
        }
        configFile = running.dir.file("cli.toml")
        running.dir.write("cli.toml", toml)
    }

    /// Parses `arguments` (plus `--config`) and runs the command's `output()` without exiting the test process.
    func run(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) -> CLIResult {
        let command: ParsableCommand
        do {
            command = try FluxerAuthCommand.parseAsRoot(arguments + ["--config", configFile])
        } catch {
            Issue.record("cannot parse \(arguments): \(error)", sourceLocation: sourceLocation)
            return CLIResult(exitCode: 64, stdout: "", stderr: "\(error)")
        }
        guard let json = command as? any JSONCommand else {
            Issue.record("\(arguments) is not a JSON command", sourceLocation: sourceLocation)
            return CLIResult(exitCode: 64, stdout: "", stderr: "")
        }
        do {
            return CLIResult(exitCode: 0, stdout: try json.output(), stderr: "")
        } catch {
            if case .problems(let report, _) = error { return CLIResult(exitCode: error.exitCode, stdout: report, stderr: error.description) }
            return CLIResult(exitCode: error.exitCode, stdout: "", stderr: error.description)
        }
    }
}

/// Every row an admin command could touch, rendered so two snapshots compare with `==`: a refused command must
/// leave them all as they were (audit events included: a refusal writes none).
struct AdminSnapshot: Equatable {
    var tables: [String: [String]]

    static let tables = [
        "users": "id", "sessions": "id_hash", "applications": "id", "oauth2_families": "id", "oauth2_tokens": "token_hash",
        "guilds": "id", "audit_events": "id", "bot_token_keys": "kid", "cache_invalidations": "id",
    ]

    static func take(_ app: App) throws -> AdminSnapshot {
        app.context.audit.flush()
        return try app.context.database.read { db in
            var tables: [String: [String]] = [:]
            for (table, key) in Self.tables {
                tables[table] = try db.query("SELECT * FROM \(table) ORDER BY \(key)").map { row in
                    zip(row.columnNames, row.values).map { "\($0)=\($1)" }.joined(separator: " ")
                }
            }
            return AdminSnapshot(tables: tables)
        }
    }
}

extension RunningApp {
    /// Audit events written by CLI commands, oldest first, as `event:detail` (detail may be empty).
    func cliAuditEvents() throws -> [String] {
        app.context.audit.flush()
        return try app.context.database.read { db in
            try db.query("SELECT event, detail FROM audit_events WHERE actor = 'cli' ORDER BY id").map {
                ($0.string("event") ?? "") + ":" + ($0.string("detail") ?? "")
            }
        }
    }

    /// Polls `condition` for up to `milliseconds`.
    func eventually(milliseconds: Int = 1_000, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
