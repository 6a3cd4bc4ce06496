import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

@Suite struct OutboxConfigTests {
    private func load(_ flags: [String: String]) throws(ConfigError) -> Config {
        try ConfigLoader.load(file: nil, environment: [:], flags: flags)
    }

    private func key(of flags: [String: String]) -> String? {
        do {
            _ = try load(flags)
            return nil
        } catch {
            return error.key
        }
    }

    @Test func defaults() throws {
        let config = try load([:])
        #expect(config.outboxDriver == .log)
        #expect(config.outboxMaxAttempts == 8)
        #expect(config.outboxWebhookURL.isEmpty && config.outboxWebhookSecret.isEmpty)
    }

    @Test func webhook_requiresURLAndSecret() throws {
        #expect(key(of: ["outbox.driver": "webhook"]) == "outbox.webhook_url")
        #expect(key(of: ["outbox.driver": "webhook", "outbox.webhook_url": "https://hooks.example.com/x"]) == "outbox.webhook_secret")
        let config = try load(["outbox.driver": "webhook", "outbox.webhook_url": "https://hooks.example.com/x",
                               "outbox.webhook_secret": "0123456789abcdef"])
        #expect(config.outboxDriver == .webhook)
        #expect(config.outboxWebhookSecret == "0123456789abcdef")
    }

    @Test func invalidValues_nameTheirKey() {
        #expect(key(of: ["outbox.driver": "smtp"]) == "outbox.driver")
        #expect(key(of: ["outbox.webhook_url": "ftp://example.com/"]) == "outbox.webhook_url")
        #expect(key(of: ["outbox.webhook_url": "http://"]) == "outbox.webhook_url")
        #expect(key(of: ["outbox.webhook_url": "http://user:pw@example.com/"]) == "outbox.webhook_url")
        #expect(key(of: ["outbox.webhook_secret": "0123456789abcde"]) == "outbox.webhook_secret")   // 15 bytes
        #expect(key(of: ["outbox.webhook_secret": "0123456789abcdef"]) == nil)                     // 16 bytes
        #expect(key(of: ["outbox.max_attempts": "0"]) == "outbox.max_attempts")
        #expect(key(of: ["outbox.max_attempts": "101"]) == "outbox.max_attempts")
        #expect(key(of: ["outbox.max_attempts": "1"]) == nil)
        #expect(key(of: ["outbox.max_attempts": "100"]) == nil)
    }

    @Test func environmentAndDevSettings() throws {
        let config = try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_OUTBOX_DRIVER": "none", "FLUXER_AUTH_OUTBOX_MAX_ATTEMPTS": "3"])
        #expect(config.outboxDriver == OutboxDriverKind.none)
        #expect(OutboxSettings(config: config).maxAttempts == 3)
        #expect(OutboxSettings(config: config).redactsBody)
        var dev = config
        dev.dev = true
        #expect(!OutboxSettings(config: dev).redactsBody)
    }
}
