import CoreMetrics
import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import HTTPServer
import SQLite
import FluxerDomain

/// `GET /metrics` over a real socket: each family shows up, labelled by route pattern (never the raw path),
/// after the requests that move it.
@Suite struct MetricsTests {
    /// The samples of one scrape: `name{labels}` → value.
    struct Scrape {
        let text: String
        let samples: [String: Double]

        init(port: Int) {
            let response = TestClient.request(port: port, "GET", "/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            text = response.body
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[String(line[..<space])] = value
            }
            self.samples = samples
        }

        subscript(_ series: String) -> Double? { samples[series] }
    }

    /// Scrapes until `series` reads `value` (background threads update some sources), at most `seconds`.
    static func eventually(port: Int, _ series: String, _ value: Double, seconds: Double = 10) -> Scrape {
        let deadline = Date().addingTimeInterval(seconds)
        var scrape = Scrape(port: port)
        while scrape[series] != value && Date() < deadline {
            usleep(50_000)
            scrape = Scrape(port: port)
        }
        return scrape
    }

    @Test func requests_byMethodRoutePatternAndStatus_withLatencyHistograms() throws {
        let harness = try AccountsHarness()
        defer { harness.stop() }
        let account = try harness.register(email: "metrics@example.com")
        #expect(harness.me(account.token).status == 200)
        #expect(harness.request("GET", "/api/v1/users/@me", auth: account.token).status == 200)
        #expect(harness.me(nil).status == 401)
        #expect(harness.request("HEAD", "/healthz").status == 200)
        // A parameterised route and an unknown path: labels carry the pattern or "-", never the path.
        _ = harness.request("GET", "/oauth2/applications/123456789012345678/public")
        #expect(harness.request("GET", "/no-such-route/s3cretPathSegment?token=abc").status == 404)

        let scrape = Scrape(port: harness.port)
        #expect(scrape[#"fluxer_http_requests_total{method="GET",route="/users/@me",status="200"}"#] == 2)
        #expect(scrape[#"fluxer_http_requests_total{method="GET",route="/users/@me",status="401"}"#] == 1)
        #expect(scrape[#"fluxer_http_requests_total{method="POST",route="/auth/register",status="200"}"#] == 1)
        #expect(scrape[#"fluxer_http_requests_total{method="HEAD",route="/healthz",status="200"}"#] == 1)
        #expect(scrape[#"fluxer_http_requests_total{method="GET",route="-",status="404"}"#] == 1)
        #expect(scrape.text.contains(#"route="/oauth2/applications/:id/public""#))
        #expect(!scrape.text.contains("123456789012345678"))
        #expect(!scrape.text.contains("s3cretPathSegment"))
        #expect(!scrape.text.contains("token=abc"))

        // The latency histogram: every bucket from 0.1 ms to 5 s, +Inf, _sum and _count, per method and route.
        #expect(scrape.text.contains("# TYPE fluxer_http_request_duration_seconds histogram"))
        let me = #"method="GET",route="/users/@me""#
        for le in ["0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                   "1.0", "2.5", "5.0"] {
            #expect(scrape["fluxer_http_request_duration_seconds_bucket{\(me),le=\"\(le)\"}"] != nil, "bucket \(le)")
        }
        #expect(scrape["fluxer_http_request_duration_seconds_bucket{\(me),le=\"+Inf\"}"] == 3)
        #expect(scrape["fluxer_http_request_duration_seconds_count{\(me)}"] == 3)
        #expect((scrape["fluxer_http_request_duration_seconds_sum{\(me)}"] ?? 0) > 0)
        // Buckets are cumulative.
        let small = scrape["fluxer_http_request_duration_seconds_bucket{\(me),le=\"0.001\"}"] ?? -1
        let large = scrape["fluxer_http_request_duration_seconds_bucket{\(me),le=\"5.0\"}"] ?? -1
        #expect(small <= large && large == 3)
        #expect(scrape["fluxer_http_unexpected_errors_total"] == 0)
        #expect(scrape.text.contains("# HELP fluxer_http_requests_total "))
    }

    @Test func logins_byOutcome_andSessionsIssuedAndRevoked() throws {
        let harness = try AccountsHarness()
        defer { harness.stop() }
        let account = try harness.register(email: "login-metrics@example.com")
        let before = Scrape(port: harness.port)
        #expect(before[#"fluxer_logins_total{outcome="success"}"#] == 0)
        #expect(before[#"fluxer_tokens_issued_total{kind="session"}"#] == 1)

        let token = try harness.loginToken(account)
        #expect(harness.login(account.email, "wrong password 1").status == 400)
        #expect(harness.login("nobody@example.com", "whatever password").status == 400)
        #expect(harness.request("POST", "/auth/logout", auth: token).status == 204)

        let after = Scrape(port: harness.port)
        #expect(after[#"fluxer_logins_total{outcome="success"}"#] == 1)
        #expect(after[#"fluxer_logins_total{outcome="failure"}"#] == 2)
        #expect(after[#"fluxer_logins_total{outcome="mfa_required"}"#] == 0)
        #expect(after[#"fluxer_tokens_issued_total{kind="session"}"#] == 2)
        #expect(after[#"fluxer_tokens_revoked_total{kind="session"}"#] == 1)
    }

    @Test func mfaLogin_countsRequiredFailureAndSuccess() throws {
        let harness = try MFAHarness()
        defer { harness.stop() }
        let user = try harness.totpUser("metricsmfa")
        let ticket = try harness.ticket(user)
        #expect(harness.loginTOTP(ticket, "000000").status == 400)
        #expect(harness.loginTOTP(try harness.ticket(user), harness.freshCode(user)).status == 200)

        let scrape = Scrape(port: harness.port)
        #expect(scrape[#"fluxer_logins_total{outcome="mfa_required"}"#] == 2)
        #expect(scrape[#"fluxer_logins_total{outcome="mfa_failure"}"#] == 1)
        #expect(scrape[#"fluxer_logins_total{outcome="success"}"#] == 1)
    }

    @Test func oauthAndBotTokens_issuedAndRevokedByKind() throws {
        let harness = try OAuthHarness()
        defer { harness.stop() }
        let owner = harness.user("metricsowner")
        let (_, client) = harness.confidentialApp(owner: owner)
        let user = harness.user("metricsuser")
        let tokens = try harness.tokens(user, client: client)
        let refreshed = harness.refresh(tokens.refresh, client: client)
        #expect(refreshed.status == 200)
        let next = try #require(jsonObject(refreshed.body)["access_token"] as? String)
        let nextRefresh = try #require(jsonObject(refreshed.body)["refresh_token"] as? String)
        #expect(harness.revoke(next, client: client).status == 204)
        #expect(harness.revoke(next, client: client).status == 204)
        #expect(harness.revoke(nextRefresh, client: client, hint: "refresh_token").status == 204)

        let scrape = Scrape(port: harness.port)
        #expect(scrape[#"fluxer_tokens_issued_total{kind="bot"}"#] == 1)
        #expect(scrape[#"fluxer_tokens_issued_total{kind="oauth_code"}"#] == 1)
        #expect(scrape[#"fluxer_tokens_issued_total{kind="oauth_grant"}"#] == 1)
        #expect(scrape[#"fluxer_tokens_issued_total{kind="oauth_access"}"#] == 2)
        #expect(scrape[#"fluxer_tokens_issued_total{kind="oauth_refresh"}"#] == 2)
        // The second revoke of the same access token finds nothing: counted once.
        #expect(scrape[#"fluxer_tokens_revoked_total{kind="oauth_access"}"#] == 1)
        #expect(scrape[#"fluxer_tokens_revoked_total{kind="oauth_grant"}"#] == 1)
        #expect(scrape[#"fluxer_tokens_issued_total{kind="session"}"#] == 2)
    }

    @Test func rateLimitRefusals_byLimiterAndBucket() throws {
        let harness = try AccountsHarness { config in
            config.rateLimitsEnabled = true
            config.rateLimitOverrides = ["auth:login": RateLimit(1, per: 60_000)]
        }
        defer { harness.stop() }
        #expect(harness.login("a@example.com", "some password 1").status == 400)
        let refused = harness.login("a@example.com", "some password 1")
        #expect(refused.status == 429)
        let scrape = Scrape(port: harness.port)
        #expect(scrape[#"fluxer_rate_limit_refusals_total{limiter="request",bucket="auth:login"}"#] == 1)
        #expect(scrape[#"fluxer_rate_limit_refusals_total{limiter="request",bucket="global"}"#] == 0)
        // A refused request is still a request, under its route.
        #expect(scrape[#"fluxer_http_requests_total{method="POST",route="/auth/login",status="429"}"#] == 1)
        // The 429 never counts as a login decision.
        #expect(scrape[#"fluxer_logins_total{outcome="failure"}"#] == 1)

        // The persistent attempt limiter (per email and client) counts under its key's kind, never the key.
        let attempts = try AccountsHarness { config in config.loginEmailIPLimit = RateLimit(1, per: 60_000) }
        defer { attempts.stop() }
        #expect(attempts.login("b@example.com", "some password 1").status == 400)
        #expect(attempts.login("b@example.com", "some password 1").status == 429)
        let second = Scrape(port: attempts.port)
        #expect(second[#"fluxer_rate_limit_refusals_total{limiter="attempt",bucket="login:email_ip"}"#] == 1)
        #expect(!second.text.contains("b@example.com"))
    }

    @Test func gauges_openConnectionsAndQueueDepths() throws {
        let running = try RunningApp()
        defer { running.stop() }
        let scrape = Scrape(port: running.port)
        #expect((scrape["fluxer_http_open_connections"] ?? 0) >= 1)
        #expect(scrape[#"fluxer_worker_queue_depth{pool="http"}"#] == 0)
        #expect(scrape[#"fluxer_worker_queue_depth{pool="argon2"}"#] == 0)
        #expect(scrape["fluxer_outbox_backlog"] == 0)
        #expect(scrape["fluxer_uptime_seconds"] != nil)
        let backend = TestBackend.isPostgres ? "postgres" : "sqlite"
        #expect(scrape["fluxer_database_busy_retries_total{backend=\"\(backend)\"}"] == 0)
        #expect(scrape["fluxer_database_group_commits_total"] != nil)
        #expect(scrape["fluxer_database_grouped_writes_total"] != nil)
        #expect(scrape["fluxer_database_log_syncs_total"] != nil)
    }

    @Test func outboxBacklog_countsUndeliveredMessages() throws {
        // Nothing listens on the discard port: every delivery fails and the message stays pending.
        let harness = try AccountsHarness { config in
            config.outboxDriver = .webhook
            config.outboxWebhookURL = "http://127.0.0.1:9/hook"
            config.outboxWebhookSecret = "metrics-test-secret"
        }
        defer { harness.stop() }
        try harness.register(email: "backlog@example.com")
        let scrape = Self.eventually(port: harness.port, "fluxer_outbox_backlog", 1)
        #expect(scrape["fluxer_outbox_backlog"] == 1)
    }

    @Test func sqliteGroupCommits_areCounted() throws {
        guard !TestBackend.isPostgres else { return }  // PostgreSQL commits in parallel; its counters stay 0
        let harness = try AccountsHarness()
        defer { harness.stop() }
        let database = harness.running.app.context.database
        // One write holds the writer; three more queue behind it and commit together as the next batch.
        let holding = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        Thread {
            try? database.write { _ in
                holding.signal()
                usleep(300_000)
            }
            done.leave()
        }.start()
        holding.wait()
        for _ in 0..<3 {
            done.enter()
            Thread {
                _ = try? database.write { db in try db.run("SELECT 1") }
                done.leave()
            }.start()
        }
        done.wait()
        let scrape = Scrape(port: harness.port)
        #expect((scrape["fluxer_database_group_commits_total"] ?? 0) >= 1)
        #expect((scrape["fluxer_database_grouped_writes_total"] ?? 0) >= 2)
        // The harness's own writes (migrations, the user) were synced; the batches above wrote nothing to sync.
        #expect((scrape["fluxer_database_log_syncs_total"] ?? 0) >= 1)
    }

    @Test func sqliteBusyWaits_countAsDatabaseRetries() throws {
        guard !TestBackend.isPostgres else { return }  // PostgreSQL retries need a serialization conflict; see PostgresTests
        let harness = try AccountsHarness()
        defer { harness.stop() }
        // Another process's writer holds the lock for a moment: the server's next write waits, counted.
        let other = try Database(path: harness.running.app.context.config.databasePath, readerCount: 1)
        defer { other.close() }
        let holding = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? other.write { _ in
                holding.signal()
                usleep(300_000)
            }
        }
        holder.start()
        holding.wait()
        try harness.register(email: "busy@example.com")
        let scrape = Scrape(port: harness.port)
        #expect((scrape[#"fluxer_database_busy_retries_total{backend="sqlite"}"#] ?? 0) >= 1)
    }

    // MARK: - Without a server

    @Test func requestMetrics_headAndUnlistedStatus_getTheirOwnSeries() throws {
        var router = Router()
        router.add(.GET, "/things/:id") { _ in .noContent }
        router.add(.POST, "/things") { _ in .noContent }
        let export = MetricsExport.isolated()
        let requests = RequestMetrics(routes: router.routesByIndex, factory: export.factory)
        var record = RequestLogRecord(method: "GET", route: "/things/:id", status: 418, durationNanoseconds: 42_000,
                                      requestID: "1", remoteAddress: "127.0.0.1", unexpectedError: nil, routeIndex: 0)
        requests.record(record)
        requests.record(record)
        record.method = "HEAD"
        record.status = 200
        requests.record(record)
        record.routeIndex = 1
        record.method = "POST"
        record.status = 500
        record.unexpectedError = CancellationError()
        requests.record(record)
        let text = String(decoding: export.render(), as: UTF8.self)
        #expect(text.contains(#"fluxer_http_requests_total{method="GET",route="/things/:id",status="418"} 2"#))
        #expect(text.contains(#"fluxer_http_requests_total{method="HEAD",route="/things/:id",status="200"} 1"#))
        #expect(text.contains(#"fluxer_http_requests_total{method="POST",route="/things",status="500"} 1"#))
        #expect(text.contains(#"fluxer_http_request_duration_seconds_bucket{method="GET",route="/things/:id",le="0.0001"} 2"#))
        #expect(text.contains("fluxer_http_unexpected_errors_total 1"))
    }

    @Test func isolatedExports_countApart_andTheProcessExportIsBootstrappedOnce() throws {
        let a = MetricsExport.isolated(), b = MetricsExport.isolated()
        CoreMetrics.Counter(label: "fluxer_logins_total", dimensions: [("outcome", "success")], factory: a.factory).increment()
        #expect(String(decoding: a.render(), as: UTF8.self).contains(#"fluxer_logins_total{outcome="success"} 1"#))
        #expect(!String(decoding: b.render(), as: UTF8.self).contains("fluxer_logins_total"))

        // The process export is one registry, and swift-metrics' global factory writes into it.
        #expect(MetricsExport.process.registry === MetricsExport.process.registry)
        CoreMetrics.Counter(label: "fluxer_bootstrap_probe_total").increment(by: 3)
        #expect(String(decoding: MetricsExport.process.render(), as: UTF8.self).contains("fluxer_bootstrap_probe_total 3"))
    }
}
