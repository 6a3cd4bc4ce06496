import HTTPServer
import SQLite
import FluxerJSON

/// `GET /healthz` (process up), `GET /readyz` (database reachable, migrations current), `GET /metrics`.
package enum OpsRoutes {
    package static func register(on router: inout Router, context: AppContext) {
        router.add(.GET, "/healthz", runsOnEventLoop: true) { _ in
            .json(.ok, #"{"status":"ok"}"#)
        }
        router.add(.GET, "/readyz") { _ in
            do {
                let status = try context.migrator.status(context.database)
                guard status.isCurrent else {
                    return .json(.serviceUnavailable, JSONValue.object([
                        ("status", "not_ready"), ("reason", "migrations pending"),
                        ("schema_version", .int(Int64(status.currentVersion))),
                    ]))
                }
                return .json(.ok, JSONValue.object([("status", "ready"), ("schema_version", .int(Int64(status.currentVersion)))]))
            } catch {
                return .json(.serviceUnavailable, JSONValue.object([("status", "not_ready"), ("reason", "database unavailable")]))
            }
        }
        router.add(.GET, "/metrics", runsOnEventLoop: true) { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                         body: context.metrics.render(now: Clock.wallMilliseconds()))
        }
    }
}
