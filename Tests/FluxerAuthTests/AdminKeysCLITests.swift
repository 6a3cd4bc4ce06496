import FluxerCrypto
import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// `fluxer-auth keys list|rotate|retire`: a rotation keeps every token valid, new tokens switch to the new key once
/// every node knows it, and retiring the old key ends the tokens it signed; refusals change nothing.
@Suite struct AdminKeysCLITests {
    static func keyID(_ token: String, _ running: RunningApp) -> UInt8? {
        BotToken.verify(token[...], keys: running.botKeys)?.keyID
    }

    @Test func rotate_keepsOldTokens_signsNewOnesAfterTheDelay_retireEndsTheOldKey() throws {
        // Not dev mode: its well-known fixture key (255) would be one more configured key.
        let harness = try AccountsHarness { config in
            config.sessionCacheTTLMilliseconds = 600_000
            config.dev = false
        }
        defer { harness.stop() }
        let running = harness.running
        let cli = try AdminCLI(running: running)
        let owner = running.registerUser("owner")
        let old = running.createApp(owner: owner, name: "Old Bot")
        #expect(Self.keyID(old.botToken, running) == 0)

        let listed = cli.run("keys", "list")
        #expect(listed.exitCode == 0)
        #expect(listed.array.count == 1)
        #expect(listed.array.first?["kid"] as? Int == 0 && listed.array.first?["source"] as? String == "config")
        #expect(listed.array.first?["derived"] as? Bool == true && listed.array.first?["active"] as? Bool == true)

        // Refused rotation: exit 2, nothing stored.
        let before = try AdminSnapshot.take(running.app)
        let refused = cli.run("keys", "rotate")
        #expect(refused.exitCode == 2 && refused.stderr.hasPrefix("keys rotate: would add a bot-token key that every server verifies within 60 s"))
        #expect(try AdminSnapshot.take(running.app) == before)

        let rotated = cli.run("keys", "rotate", "--yes")
        #expect(rotated.exitCode == 0, "\(rotated.stderr)")
        #expect(rotated.object["kid"] as? Int == 1)
        #expect(!rotated.stdout.contains("secret"))
        let stored = try running.app.context.database.read { db in try db.queryOne("SELECT secret_sealed FROM bot_token_keys WHERE kid = 1")?.blob("secret_sealed") }
        #expect(stored?.count ?? 0 > 32)  // sealed, never the 32 bytes themselves

        // The node rereads the keys (it does so every minute): the new key verifies, the old one still signs.
        running.app.accounts.botKeys.reload()
        #expect(running.botKeys.keys.keys.sorted() == [0, 1])
        #expect(running.meStatus(old.botAuth) == 200)
        let early = running.createApp(owner: owner, name: "Early Bot")
        #expect(Self.keyID(early.botToken, running) == 0)

        // The signing key cannot be retired; an unknown or malformed id neither.
        let snapshot = try AdminSnapshot.take(running.app)
        let active = cli.run("keys", "retire", "0", "--yes")
        #expect(active.exitCode == 1 && active.stderr == "kid 0: that key signs new tokens now (rotate first, and wait until the new key signs)")
        let unknown = cli.run("keys", "retire", "77", "--yes")
        #expect(unknown.exitCode == 1 && unknown.stderr == "kid 77: no unretired bot-token key has that id")
        let malformed = cli.run("keys", "retire", "256", "--yes")
        #expect(malformed.exitCode == 1 && malformed.stderr == "kid: must be a key id from 0 to 255 (see keys list)")
        #expect(try AdminSnapshot.take(running.app) == snapshot)

        // Five minutes on (the server's clock started before the key was stamped with wall time, hence the margin),
        // the new key signs; every token made before still works.
        harness.clock.advance(milliseconds: BotTokenKeySet.signingDelay + 60_000)
        let late = running.createApp(owner: owner, name: "Late Bot")
        #expect(Self.keyID(late.botToken, running) == 1)
        #expect(running.meStatus(late.botAuth) == 200 && running.meStatus(old.botAuth) == 200 && running.meStatus(early.botAuth) == 200)

        // The CLI runs on wall time: age the stored key as the server's clock did, then retire key 0.
        try running.app.context.database.write { db in
            try db.run("UPDATE bot_token_keys SET created_at = created_at - ? WHERE kid = 1", BotTokenKeySet.signingDelay + 1_000)
        }
        let newest = cli.run("keys", "retire", "1", "--yes")
        #expect(newest.exitCode == 1 && newest.stderr.hasPrefix("kid 1: that key signs new tokens now"))
        let beforeRetire = try AdminSnapshot.take(running.app)
        let refusedRetire = cli.run("keys", "retire", "0")
        #expect(refusedRetire.exitCode == 2)
        #expect(refusedRetire.stderr == "keys retire: would retire configured bot-token key 0: bot tokens signed with it would stop working "
            + "on every server within 60 s (reset them first); nothing was changed, give --yes to do it")
        #expect(try AdminSnapshot.take(running.app) == beforeRetire)

        let retired = cli.run("keys", "retire", "0", "--yes")
        #expect(retired.exitCode == 0, "\(retired.stderr)")
        let keys = retired.array.map { "\($0["kid"] as? Int ?? -1):\($0["source"] as? String ?? ""):\($0["status"] as? String ?? ""):\($0["active"] as? Bool ?? false)" }
        #expect(keys == ["0:config:retired:false", "1:database:verifying:true"])

        running.app.accounts.botKeys.reload()
        #expect(running.meStatus(old.botAuth) == 401 && running.meStatus(early.botAuth) == 401)
        #expect(running.meStatus(late.botAuth) == 200)
        #expect(try running.cliAuditEvents() == ["bot_token_key.rotate:kid=1", "bot_token_key.retire:kid=0"])

        // A restarted node (or another one) builds the same keys from the database.
        let fresh = try BotTokenKeys(source: BotTokenKeys.Source(config: running.app.context.config, secret: running.app.context.secretKey),
                                     database: running.app.context.database, cache: PrincipalCache(ttlMilliseconds: 0), logger: running.app.context.logger)
        #expect(fresh.verifying.keys.keys.sorted() == [1])
        #expect(fresh.signing(now: harness.clock.now).activeKeyID == 1)
    }

    @Test func keys_needTheSecretKey() throws {
        let running = try RunningApp()
        defer { running.stop() }
        var config = running.app.context.config
        config.secretKey = nil
        config.dev = false
        for command in [{ try KeyAdmin.list(config: config) }, { try KeyAdmin.rotate(config: config, yes: true) }] as [() throws -> String] {
            let failure = #expect(throws: UserCommands.Failure.self) { try command() }
            #expect(failure?.exitCode == 2)
            #expect(failure?.description.contains("security.secret_key: required") == true)
        }
    }
}
