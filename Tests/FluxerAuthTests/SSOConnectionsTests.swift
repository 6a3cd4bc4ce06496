import Foundation
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// Issue 14: linking Bluesky to an existing account (the real server's connections), through the built-in AT
/// Protocol network of dev mode, over the server's own sockets.
@Suite struct SSOConnectionsTests {
    typealias C = SSOCompletionTests

    /// `authorize` for `user`, approve at the mock as `handle`, and our callback's answer.
    static func connect(_ h: MFAHarness, _ user: MFAUser, handle: String) throws -> TestResponse {
        let started = h.post("/users/@me/connections/bluesky/authorize", ["handle": handle], auth: user.token)
        #expect(started.status == 200, "\(started.body)")
        let url = try C.url(jsonObject(started.body)["authorize_url"])
        #expect(Set(C.query(url).keys) == ["client_id", "request_uri"])
        let form = "request_uri=" + (C.query(url)["request_uri"] ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&handle=" + handle
        let approved = TestClient.request(port: h.port, "POST", "/_dev/atproto/oauth/authorize",
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
        return TestClient.request(port: h.port, "GET", C.pathAndQuery(try C.location(approved)))
    }

    static func connections(_ h: MFAHarness, _ user: MFAUser) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(h.send("GET", "/users/@me/connections", auth: user.token).body.utf8))) as? [[String: Any]] ?? []
    }

    @Test func link_list_signIn_unlink() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let callback = try Self.connect(h, alice, handle: "alice.test")
        let landing = try C.location(callback)
        #expect(landing.path == "/connection-callback" && C.query(landing)["status"] == "connected", "\(landing)")
        let listed = Self.connections(h, alice)
        #expect(listed.count == 1 && listed.first?["type"] as? String == "bsky" && listed.first?["name"] as? String == "alice.test")
        let did = try #require(listed.first?["id"] as? String)
        #expect(did.hasPrefix("did:plc:"))

        // The linked DID signs in to Alice's account through the bluesky provider.
        let signedIn = try C.complete(h, try C.blueskyToCallback(h, handle: "alice.test", approveAs: "alice.test"))
        #expect(signedIn["user_id"] as? String == alice.id)

        // Unlinking needs sudo.
        let path = "/users/@me/connections/bluesky/" + did
        let noSudo = h.send("DELETE", path, auth: alice.token)
        #expect(noSudo.status == 403 && noSudo.body.contains("SUDO_MODE_REQUIRED"), "\(noSudo.body)")
        #expect(Self.connections(h, alice).count == 1)
        let removed = h.send("DELETE", path, h.proof(alice), auth: alice.token)
        #expect(removed.status == 204, "\(removed.body)")
        #expect(Self.connections(h, alice).isEmpty)
        let again = h.send("DELETE", path, h.proof(alice), auth: alice.token)
        #expect(again.status == 404 && again.body.contains("CONNECTION_NOT_FOUND"))
    }

    @Test func aDIDLinkedToAnotherAccount_isRefused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        let bob = try h.register("bob")
        let first = try C.location(try Self.connect(h, alice, handle: "alice.test"))
        #expect(C.query(first)["status"] == "connected")
        let second = try C.location(try Self.connect(h, bob, handle: "alice.test"))
        #expect(C.query(second)["status"] == "error" && C.query(second)["reason"] == "CONNECTION_ALREADY_EXISTS", "\(second)")
        #expect(Self.connections(h, bob).isEmpty && Self.connections(h, alice).count == 1)
    }

    @Test func refusals() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let alice = try h.register("alice")
        #expect(h.post("/users/@me/connections/bluesky/authorize", ["handle": "alice.test"]).status == 401)
        let unresolved = h.post("/users/@me/connections/bluesky/authorize", ["handle": "nobody.invalid"], auth: alice.token)
        #expect(unresolved.status == 400 && unresolved.body.contains("BLUESKY_OAUTH_AUTHORIZATION_FAILED"), "\(unresolved.body)")
        let empty = h.post("/users/@me/connections/bluesky/authorize", ["handle": ""], auth: alice.token)
        #expect(empty.status == 400)
        // A callback whose state is unknown goes back to the app with an error, never a link.
        let forged = TestClient.request(port: h.port, "GET", "/auth/sso/callback?code=x&state=" + String(repeating: "a", count: 32) + "&iss=x")
        #expect(forged.status == 400)

        let off = try MFAHarness { config in config.dev = false }
        defer { off.stop() }
        let carol = try off.register("carol")
        let disabled = off.post("/users/@me/connections/bluesky/authorize", ["handle": "carol.test"], auth: carol.token)
        #expect(disabled.status == 400 && disabled.body.contains("BLUESKY_OAUTH_NOT_ENABLED"), "\(disabled.body)")
        #expect(Self.connections(off, carol).isEmpty)
    }
}

/// Issue 14: an atproto provider configured by URL, reached over real sockets with libcurl: a second server's
/// built-in AT Protocol network plays Bluesky (it fetches our client metadata from our `client_id` URL).
@Suite struct ATProtoOverHTTPTests {
    typealias C = SSOCompletionTests

    static func harness(upstream: MFAHarness, service: String? = nil, timeout: Int = 10_000) throws -> MFAHarness {
        let base = "http://127.0.0.1:\(upstream.port)/_dev/atproto"
        _ = upstream.running.app.sso.atprotoMockServer()
        return try MFAHarness { config in
            var bluesky = ATProtoProviderSettings(name: "bsky")
            bluesky.displayName = "Bluesky"
            bluesky.service = service ?? base
            bluesky.plcDirectory = base + "/plc"
            bluesky.handleResolver = base
            config.ssoProviders = [.atproto(bluesky)]
            config.ssoTimeoutMilliseconds = timeout
        }
    }

    /// Start at `h`, approve at `upstream`'s mock, come back to `h`'s callback.
    static func signIn(_ h: MFAHarness, upstream: MFAHarness, handle: String) throws -> TestResponse {
        let started = h.post("/auth/sso/start", ["provider": "bsky", "handle": handle, "redirect_to": "/in"])
        #expect(started.status == 200, "\(started.body)")
        let url = try C.url(jsonObject(started.body)["session_url"])
        #expect(url.port == upstream.port && url.path == "/_dev/atproto/oauth/authorize")
        let form = "request_uri=" + (C.query(url)["request_uri"] ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&handle=" + handle
        let approved = TestClient.request(port: upstream.port, "POST", "/_dev/atproto/oauth/authorize",
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
        let back = try C.location(approved)
        #expect(back.port == h.port)
        return TestClient.request(port: h.port, "GET", C.pathAndQuery(back))
    }

    @Test func signIn_overSockets() throws {
        let upstream = try MFAHarness()
        defer { upstream.stop() }
        let h = try Self.harness(upstream: upstream)
        defer { h.stop() }
        let first = try C.complete(h, try Self.signIn(h, upstream: upstream, handle: "alice.test"))
        #expect(first["token"] is String && first["redirect_to"] as? String == "/in")
        let again = try C.complete(h, try Self.signIn(h, upstream: upstream, handle: "alice.test"))
        #expect(again["user_id"] as? String == first["user_id"] as? String)
        // The upstream fetched our metadata document and JWKS over HTTP, and saw PAR, token and nonce retries.
        let log = try #require(upstream.running.app.sso.atprotoMockServer()).requestLog.joined(separator: "\n")
        #expect(log.contains("POST /oauth/par 201") && log.contains("POST /oauth/token 200"), "\(log)")
        #expect(log.contains("POST /oauth/par 400"), "the first PAR is refused for want of a DPoP nonce and retried: \(log)")
    }

    @Test func upstream500_and_oversized_are502_withNoSession() throws {
        let upstream = try MFAHarness()
        defer { upstream.stop() }
        let h = try Self.harness(upstream: upstream)
        defer { h.stop() }
        let mock = try #require(upstream.running.app.sso.atprotoMockServer())
        mock.updateFaults { $0.failingEndpoints[.token] = 500 }
        let failed = try Self.signIn(h, upstream: upstream, handle: "alice.test")
        #expect(failed.status == 502 && !failed.body.contains("500"), "\(failed.status)")
        mock.updateFaults { $0.failingEndpoints = [:]; $0.oversizedEndpoints = [.authorizationServerMetadata] }
        let oversized = h.post("/auth/sso/start", ["provider": "bsky", "handle": "alice.test"])
        #expect(oversized.status == 502 && oversized.body.contains("SSO_PROVIDER_ERROR"), "\(oversized.body)")
        #expect(try C.sessions(h) == 0 && C.completionRows(h) == 0)
    }

    @Test func upstreamTimeout_is502_withinSSOTimeout() throws {
        let upstream = try MFAHarness()
        defer { upstream.stop() }
        let silent = SSOSlowProviderTests.SilentListener()
        let h = try Self.harness(upstream: upstream, service: "http://127.0.0.1:\(silent.port)", timeout: 1_500)
        defer { h.stop() }
        let started = Clock.wallMilliseconds()
        // No handle: the sign-in starts from the service, which never answers.
        let answer = h.post("/auth/sso/start", ["provider": "bsky"])
        let elapsed = Clock.wallMilliseconds() - started
        #expect(answer.status == 502 && answer.body.contains("SSO_PROVIDER_ERROR"), "\(answer.body)")
        #expect(elapsed >= 1_400 && elapsed < 6_000, "\(elapsed) ms")
    }

    /// A DID document naming a PDS on a private address that the configuration does not name is refused (SSRF):
    /// the handle `evil.test` is created at the upstream with a PDS on 10.0.0.1.
    @Test func privateAddressInADocument_isRefused() throws {
        let upstream = try MFAHarness()
        defer { upstream.stop() }
        let h = try Self.harness(upstream: upstream, timeout: 2_000)
        defer { h.stop() }
        let mock = try #require(upstream.running.app.sso.atprotoMockServer())
        _ = mock.createAccount(handle: "evil.test", pds: "https://10.0.0.1")
        let answer = h.post("/auth/sso/start", ["provider": "bsky", "handle": "evil.test"])
        #expect(answer.status == 502 && answer.body.contains("SSO_PROVIDER_ERROR"), "\(answer.body)")
    }
}

/// Issue 14: our client key is rotated without a gap: a new key is published first, signs once every node has
/// it, and the old one stays published until retired.
@Suite struct ATProtoKeyRotationTests {
    typealias C = SSOCompletionTests

    static func jwksIDs(_ h: MFAHarness) -> [String] {
        let jwks = jsonObject(TestClient.request(port: h.port, "GET", "/oauth/atproto/jwks.json").body)
        return ((jwks["keys"] as? [[String: Any]]) ?? []).compactMap { $0["kid"] as? String }.sorted()
    }

    @Test func rotate_publishesFirst_signsLater_retiresOnlyWhatNoLongerSigns() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        #expect(Self.jwksIDs(h) == ["atproto-1"])
        let database = h.running.app.context.database, secret = h.running.app.context.secretKey
        let (kid, signsFrom) = try ATProtoClientKeyRing.rotate(database: database, secret: secret, now: h.clock.now)
        #expect(signsFrom == h.clock.now + ATProtoClientKeyRing.signingDelay)
        // Published once this node's cached keys are refreshed; atproto-1 still signs, and sign-in works.
        h.clock.advance(milliseconds: ATProtoClientKeyRing.cacheLifetime + 1)
        #expect(Self.jwksIDs(h) == [kid, "atproto-1"].sorted())
        _ = try C.complete(h, try C.blueskyToCallback(h, handle: "alice.test", approveAs: "alice.test"))
        #expect(throws: ATProtoClientKeyRing.RetireRefusal.signing) {
            try ATProtoClientKeyRing.retire(kid: "atproto-1", database: database, secret: secret, now: h.clock.now)
        }
        #expect(throws: ATProtoClientKeyRing.RetireRefusal.unknown) {
            try ATProtoClientKeyRing.retire(kid: "nope", database: database, secret: secret, now: h.clock.now)
        }
        // The new key signs: the mock verifies the assertion against our JWKS, so sign-in proves it.
        h.clock.advance(milliseconds: ATProtoClientKeyRing.signingDelay)
        let keys = try ATProtoClientKeyRing.load(database: database, secret: secret, now: h.clock.now)
        #expect(ATProtoClientKeyRing.signing(keys, now: h.clock.now).client.id == kid)
        _ = try C.complete(h, try C.blueskyToCallback(h, handle: "bob.test", approveAs: "bob.test"))
        #expect(throws: ATProtoClientKeyRing.RetireRefusal.signing) {
            try ATProtoClientKeyRing.retire(kid: kid, database: database, secret: secret, now: h.clock.now)
        }
        try ATProtoClientKeyRing.retire(kid: "atproto-1", database: database, secret: secret, now: h.clock.now)
        h.clock.advance(milliseconds: ATProtoClientKeyRing.cacheLifetime + 1)
        #expect(Self.jwksIDs(h) == [kid])
        _ = try C.complete(h, try C.blueskyToCallback(h, handle: "alice.test", approveAs: "alice.test"))
    }

    /// Keys sealed under another server secret are refused, never replaced silently.
    @Test func keysSealedUnderAnotherSecret_areRefused() throws {
        let h = try MFAHarness()
        defer { h.stop() }
        let database = h.running.app.context.database
        _ = try ATProtoClientKeyRing.load(database: database, secret: h.running.app.context.secretKey, now: h.clock.now)
        #expect(throws: ATProtoKeyError.self) {
            try ATProtoClientKeyRing.load(database: database, secret: Array(repeating: 8, count: 32), now: h.clock.now)
        }
    }
}
