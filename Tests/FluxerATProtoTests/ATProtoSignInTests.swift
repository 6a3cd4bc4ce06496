@testable import FluxerATProto
import FluxerCrypto
import FluxerJSON
import Testing

/// start → the mock's sign-in page → complete, through the in-process transport.
@Suite struct ATProtoSignInTests {
    @Test func signIn_withHandle_succeeds() throws {
        let f = Fixture()
        let aliceDID = try #require(f.mock.accounts.first { $0.handle == "alice.test" }?.did)
        let start = try f.client.start(identifier: "@Alice.Test")
        #expect(start.pending.expectedDID == aliceDID)
        #expect(start.pending.issuer == Fixture.base)
        let callback = try f.authorize(start, as: "alice.test")
        #expect(callback.iss == Fixture.base)
        #expect(callback.state == start.state)
        let signIn = try f.client.complete(callback, pending: start.pending)
        #expect(signIn.did.string == aliceDID)
        #expect(signIn.handle?.string == "alice.test")
        #expect(signIn.pds == f.mock.pdsURL)
        #expect(signIn.issuer == f.mock.issuer)
        #expect(signIn.scope == "atproto transition:generic")
        #expect(signIn.accessToken?.hasPrefix("acc-") == true)
        #expect(signIn.refreshToken?.hasPrefix("ref-") == true)
        #expect(signIn.expiresIn == ATProtoMockServer.accessTokenLifetime)
    }

    @Test func authorizationURL_carriesOnlyClientIDAndRequestURI() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let url = try #require(ATProtoURL(start.authorizationURL))
        #expect(url.withoutQuery == Fixture.base + "/oauth/authorize")
        let parameters = try #require(FormEncoding.decode(url.query ?? ""))
        #expect(parameters.map(\.0) == ["client_id", "request_uri"])
        #expect(parameters[0].1 == f.client.configuration.clientID)
        #expect(parameters[1].1.hasPrefix(ATProtoMockServer.requestURIPrefix))
    }

    @Test func pushedRequest_carriesPKCEStateHintScopeAssertionAndProof() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let par = try #require(f.transport.requests.last { $0.url.hasSuffix("/oauth/par") })
        let form = try #require(MockRequest.parameters(String(decoding: par.body, as: UTF8.self)))
        #expect(form["client_id"] == f.client.configuration.clientID)
        #expect(form["response_type"] == "code")
        #expect(form["code_challenge_method"] == "S256")
        #expect(form["code_challenge"] == PKCE.challenge(for: start.pending.codeVerifier))
        #expect(start.pending.codeVerifier.count == 43)
        #expect(form["state"] == start.state)
        #expect(form["login_hint"] == "alice.test")
        #expect(form["scope"] == "atproto transition:generic")
        #expect(form["redirect_uri"] == f.client.configuration.redirectURI)
        #expect(form["client_assertion_type"] == ClientAssertion.type)
        #expect(form["client_assertion"] != nil)
        #expect(par.header("DPoP") != nil)
        #expect(par.header("Content-Type") == "application/x-www-form-urlencoded")
    }

    @Test func signIn_withoutIdentifier_startsFromTheServiceAndAcceptsAnyAccount() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: nil)
        #expect(start.pending.expectedDID == nil)
        let par = try #require(f.transport.requests.last { $0.url.hasSuffix("/oauth/par") })
        #expect(!String(decoding: par.body, as: UTF8.self).contains("login_hint"))
        let signIn = try f.client.complete(f.authorize(start, as: "bob.test"), pending: start.pending)
        #expect(signIn.handle?.string == "bob.test")
        #expect(try f.client.start(identifier: "  ").pending.expectedDID == nil)
    }

    @Test func signIn_withDID_succeedsAndVerifiesTheHandle() throws {
        let f = Fixture()
        let did = f.mock.createAccount(handle: "carol.test")
        let signIn = try f.signIn(did, as: did)
        #expect(signIn.did.string == did)
        #expect(signIn.handle?.string == "carol.test")
    }

    @Test func returnByDID_afterHandleChange_reachesTheSameDID() throws {
        let f = Fixture()
        let first = try f.signIn("alice.test")
        f.mock.changeHandle(did: first.did.string, to: "alice2.test")
        #expect(error { try f.client.start(identifier: "alice.test") } == .handleNotResolved)
        let second = try f.signIn("alice2.test")
        #expect(second.did == first.did)
        #expect(second.handle?.string == "alice2.test")
    }

    @Test func signIn_didWebAccount_resolvesItsDocumentFromTheHost() throws {
        let f = Fixture()
        let did = f.mock.createAccount(handle: "dave.test", did: "did:web:dave.example.com")
        let start = try f.client.start(identifier: "dave.test")
        #expect(start.pending.expectedDID == did)
        #expect(f.transport.requests.contains { $0.url == "https://dave.example.com/.well-known/did.json" })
        let signIn = try f.client.complete(f.authorize(start, as: "dave.test"), pending: start.pending)
        #expect(signIn.did.string == "did:web:dave.example.com")
        #expect(signIn.did.method == .web)
    }

    @Test func signIn_withDNSResolution_usesTheTXTRecord() throws {
        let f = Fixture(handleResolver: false)
        let signIn = try f.signIn("bob.test")
        #expect(signIn.handle?.string == "bob.test")
        #expect(!f.transport.requests.contains { $0.url.contains("resolveHandle") })
        #expect(!f.transport.requests.contains { $0.url.contains("atproto-did") })
    }

    @Test func wrongIss_isRefusedBeforeTheTokenRequest() throws {
        let f = Fixture()
        f.mock.updateFaults { $0.callbackIssuer = "https://evil.example.com" }
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test")
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .issuerMismatch)
        #expect(!f.transport.requests.contains { $0.url.hasSuffix("/oauth/token") })
        var missing = callback
        missing.iss = nil
        #expect(error { try f.client.complete(missing, pending: start.pending) } == .issuerMismatch)
    }

    @Test func stateMismatch_isRefused() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        var callback = try f.authorize(start, as: "alice.test")
        callback.state = "forged"
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .stateMismatch)
        callback.state = nil
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .stateMismatch)
    }

    @Test func deniedByTheUser_isRefused() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test", deny: true)
        #expect(callback.error == "access_denied")
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .authorizationDenied)
    }

    @Test func subWhosePDSNamesAnotherAuthorizationServer_isRefused() throws {
        let f = Fixture()
        let foreign = f.mock.createAccount(handle: "mallory.test", pds: f.mock.foreignPDSURL)
        f.mock.updateFaults { $0.tokenSubject = foreign }
        let start = try f.client.start(identifier: nil)
        let callback = try f.authorize(start, as: "alice.test")
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .subjectIssuerMismatch)
    }

    @Test func subNotTheHandlesDID_isRefused() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "bob.test")
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .subjectMismatch)
    }

    @Test func subThatIsNotADID_orDoesNotResolve_isRefused() throws {
        let f = Fixture()
        f.mock.updateFaults { $0.tokenSubject = "alice.test" }
        var start = try f.client.start(identifier: nil)
        #expect(error { try f.client.complete(f.authorize(start, as: "alice.test"), pending: start.pending) } == .subjectNotDID)
        f.mock.updateFaults { $0.tokenSubject = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa" }
        start = try f.client.start(identifier: nil)
        #expect(error { try f.client.complete(f.authorize(start, as: "alice.test"), pending: start.pending) } == .subjectNotResolvable)
    }

    @Test func tokenTypeNotDPoP_isRefused() throws {
        let f = Fixture()
        f.mock.updateFaults { $0.tokenType = "Bearer" }
        #expect(error { try f.signIn("alice.test") } == .tokenTypeNotDPoP)
    }

    @Test func scopeWithoutATProto_isRefused() throws {
        let f = Fixture()
        f.mock.updateFaults { $0.tokenScope = "transition:generic" }
        #expect(error { try f.signIn("alice.test") } == .scopeLacksATProto)
    }

    @Test func nonceRetry_sendsTheServerNonceOnTheSecondAttempt() throws {
        let f = Fixture()
        _ = try f.signIn("alice.test")
        let pars = f.mock.requestLog.filter { $0.hasPrefix("POST /oauth/par") }
        #expect(pars == ["POST /oauth/par 400", "POST /oauth/par 201"])
        // The token request reuses the nonce the PAR response gave: no second dance.
        #expect(f.mock.requestLog.filter { $0.hasPrefix("POST /oauth/token") } == ["POST /oauth/token 200"])
    }

    @Test func staleNonceAtTheTokenEndpoint_isRetriedOnce() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test")
        let p = start.pending
        let stale = ATProtoPending(issuer: p.issuer, state: p.state, expectedDID: p.expectedDID, tokenEndpoint: p.tokenEndpoint,
                                   codeVerifier: p.codeVerifier, dpopKeyDER: p.dpopKeyDER, dpopNonce: "stale",
                                   redirectURI: p.redirectURI, createdAt: p.createdAt)
        #expect(try f.client.complete(callback, pending: stale).handle?.string == "alice.test")
        #expect(f.mock.requestLog.filter { $0.hasPrefix("POST /oauth/token") } == ["POST /oauth/token 400", "POST /oauth/token 200"])
    }

    @Test func secondUseDPoPNonce_failsTheStep() throws {
        let f = Fixture()
        f.mock.updateFaults { $0.alwaysDemandNonce = true }
        let failure = error { try f.client.start(identifier: "alice.test") }
        #expect(failure == .dpopNonceRetryFailed(.pushedAuthorization))
        #expect(failure?.kind == .upstream)
        #expect(f.mock.requestLog.filter { $0.hasPrefix("POST /oauth/par") }.count == 2)
    }

    @Test func replayedCode_isRefused() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test")
        _ = try f.client.complete(callback, pending: start.pending)
        let replay = error { try f.client.complete(callback, pending: start.pending) }
        #expect(replay == .grantRefused)
        #expect(replay?.kind == .refused)
    }

    @Test func replayedRequestURI_isRefusedByTheAuthorizationServer() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        _ = try f.authorize(start, as: "alice.test")
        #expect(try f.open(start.authorizationURL).status == 400)
        #expect(try f.approve(requestURI: f.requestURI(of: start), handle: "alice.test").status == 400)
    }

    @Test func upstream500_isAnUpstreamError() throws {
        let f = Fixture()
        f.mock.updateFaults { $0.failingEndpoints[.pushedAuthorization] = 500 }
        let failure = error { try f.client.start(identifier: "alice.test") }
        #expect(failure == .badStatus(.pushedAuthorization, 500))
        #expect(failure?.kind == .upstream)
        f.mock.updateFaults { $0.failingEndpoints = [.plc: 500] }
        #expect(error { try f.client.start(identifier: "alice.test") } == .badStatus(.resolveDID, 500))
        f.mock.updateFaults { $0.failingEndpoints = [.token: 503] }
        #expect(error { try f.signIn("alice.test") } == .badStatus(.token, 503))
    }

    @Test func transportTimeout_isAnUpstreamError() throws {
        let f = Fixture()
        f.transport.on("/oauth/token", .fail(.timedOut))
        let failure = error { try f.signIn("alice.test") }
        #expect(failure == .transport(.token, .timedOut))
        #expect(failure?.kind == .upstream)
        #expect(failure?.reason == "upstream_timeout")
    }

    @Test func oversizedResponse_isAnUpstreamError() throws {
        let f = Fixture()
        f.transport.on("oauth-authorization-server", .fail(.tooLarge))
        #expect(error { try f.client.start(identifier: "alice.test") } == .transport(.authorizationServer, .tooLarge))
        let g = Fixture()
        g.mock.updateFaults { $0.oversizedEndpoints = [.protectedResource] }
        let failure = error { try g.client.start(identifier: "alice.test") }
        #expect(failure == .oversized(.protectedResource))
        #expect(failure?.kind == .upstream)
    }

    @Test func handleThatDoesNotResolve_isBadInput() {
        let f = Fixture()
        let failure = error { try f.client.start(identifier: "nobody.test") }
        #expect(failure == .handleNotResolved)
        #expect(failure?.kind == .badInput)
        let g = Fixture(handleResolver: false)
        #expect(error { try g.client.start(identifier: "nobody.test") } == .handleNotResolved)
    }

    @Test func invalidIdentifier_isBadInput() {
        let f = Fixture()
        #expect(error { try f.client.start(identifier: "not a handle") } == .invalidIdentifier)
        #expect(error { try f.client.start(identifier: "did:key:z6Mk") } == .invalidIdentifier)
        #expect(f.transport.requests.isEmpty)
    }

    @Test func unknownDID_isBadInput() {
        let f = Fixture()
        let failure = error { try f.client.start(identifier: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa") }
        #expect(failure == .didNotFound)
        #expect(failure?.kind == .badInput)
    }

    @Test func metadataBreakingTheProfile_isAnUpstreamError() {
        let f = Fixture()
        f.mock.updateFaults { $0.metadataOverrides = ["require_pushed_authorization_requests": false] }
        let failure = error { try f.client.start(identifier: "alice.test") }
        #expect(failure == .invalidMetadata(.parNotRequired))
        #expect(failure?.kind == .upstream)
    }

    @Test func expiredPending_isRefused() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test")
        f.clock.advance(ATProtoPending.lifetimeSeconds + 1)
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .pendingExpired)
    }

    @Test func pendingSurvivesSerialization_acrossClients() throws {
        let f = Fixture()
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test")
        let restored = try ATProtoPending(serialized: start.pending.serialized)
        #expect(restored == start.pending)
        #expect(try f.client.complete(callback, pending: restored).handle?.string == "alice.test")
    }

    @Test func accountEmail_isReadWithTheDPoPBoundToken_whenConfirmed() throws {
        let f = Fixture(scope: "atproto transition:email")
        f.mock.createAccount(handle: "erin.test", email: "erin@example.com")
        f.mock.createAccount(handle: "frank.test", email: "frank@example.com", emailConfirmed: false)
        let erin = try f.signIn("erin.test")
        #expect(try f.client.accountEmail(erin) == "erin@example.com")
        let session = try #require(f.transport.requests.last { $0.url.hasSuffix("getSession") })
        #expect(session.header("Authorization") == "DPoP " + (erin.accessToken ?? ""))
        #expect(f.mock.requestLog.filter { $0.contains("getSession") } == [
            "GET /xrpc/com.atproto.server.getSession 401", "GET /xrpc/com.atproto.server.getSession 200",
        ])
        #expect(try f.client.accountEmail(f.signIn("frank.test")) == nil)
    }

    @Test func accountEmail_withoutTheEmailScope_makesNoCall() throws {
        let f = Fixture()
        f.mock.createAccount(handle: "erin.test", email: "erin@example.com")
        let erin = try f.signIn("erin.test")
        #expect(try f.client.accountEmail(erin) == nil)
        #expect(!f.transport.requests.contains { $0.url.hasSuffix("getSession") })
    }
}
