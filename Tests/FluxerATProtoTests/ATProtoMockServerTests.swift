@testable import FluxerATProto
import FluxerCrypto
import FluxerJSON
import Testing

/// The mock is strict: each rule the real authorization server enforces, refused one at a time.
@Suite struct ATProtoMockServerTests {
    let f = Fixture()
    let key = P256SoftKey()
    var parURL: String { Fixture.base + "/oauth/par" }
    var tokenURL: String { Fixture.base + "/oauth/token" }

    func proof(_ method: String = "POST", _ url: String? = nil, nonce: String? = nil, jti: String? = nil, iat: Int64? = nil,
               key: P256SoftKey? = nil, accessToken: String? = nil) -> String {
        DPoPProof.make(key: key ?? self.key, method: method, url: ATProtoURL(url ?? parURL)!, nonce: nonce, accessToken: accessToken,
                       issuedAt: iat ?? f.clock.now, jti: jti ?? Base64URL.encode(SecureRandom.bytes(12)))
    }

    func post(_ path: String, _ fields: [(String, String)], dpop: String?) -> ATProtoHTTPResponse {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let dpop { headers.append(("DPoP", dpop)) }
        return f.mock.handle(method: "POST", path: "/_dev/atproto" + path, query: "", headers: headers, body: Array(FormEncoding.encode(fields).utf8))
    }

    /// The server's current nonce, learnt as a client does.
    func nonce() -> String {
        post("/oauth/par", [], dpop: nil).header("DPoP-Nonce") ?? ""
    }

    func parFields(_ change: (inout [(String, String)]) -> Void = { _ in }) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("client_id", f.client.configuration.clientID), ("response_type", "code"),
            ("code_challenge", PKCE.challenge(for: String(repeating: "v", count: 43))), ("code_challenge_method", "S256"),
            ("state", "st"), ("redirect_uri", f.client.configuration.redirectURI), ("scope", "atproto transition:generic"),
        ]
        change(&fields)
        return fields + f.client.assertionFields(audience: f.mock.issuer)
    }

    func errorCode(_ response: ATProtoHTTPResponse) -> String? { ATProtoJSON.oauthErrorCode(response.body) }

    @Test func par_validRequest_isAccepted() {
        let response = post("/oauth/par", parFields(), dpop: proof(nonce: nonce()))
        #expect(response.status == 201)
        #expect(object(response.body)["expires_in"] as? Int == Int(ATProtoMockServer.requestURILifetime))
        #expect((object(response.body)["request_uri"] as? String)?.hasPrefix(ATProtoMockServer.requestURIPrefix) == true)
    }

    @Test func par_proofWithoutNonce_getsUseDPoPNonceAndTheNonce() {
        let response = post("/oauth/par", parFields(), dpop: proof())
        #expect(response.status == 400)
        #expect(errorCode(response) == "use_dpop_nonce")
        #expect(response.header("DPoP-Nonce")?.isEmpty == false)
    }

    @Test func par_withoutAProof_orWithTwo_isRefused() {
        #expect(errorCode(post("/oauth/par", parFields(), dpop: nil)) == "invalid_dpop_proof")
        let fields = parFields()
        let response = f.mock.handle(method: "POST", path: "/_dev/atproto/oauth/par", query: "", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("DPoP", proof(nonce: nonce())), ("DPoP", proof(nonce: nonce())),
        ], body: Array(FormEncoding.encode(fields).utf8))
        #expect(errorCode(response) == "invalid_dpop_proof")
    }

    @Test func dpop_replayedJTI_isRefused() {
        let proof = proof(nonce: nonce(), jti: "same")
        #expect(post("/oauth/par", parFields(), dpop: proof).status == 201)
        let replay = post("/oauth/par", parFields(), dpop: proof)
        #expect(replay.status == 400)
        #expect(errorCode(replay) == "invalid_dpop_proof")
    }

    @Test func dpop_wrongHTUOrHTM_isRefused() {
        let n = nonce()
        #expect(errorCode(post("/oauth/par", parFields(), dpop: proof("POST", tokenURL, nonce: n))) == "invalid_dpop_proof")
        #expect(errorCode(post("/oauth/par", parFields(), dpop: proof("GET", nonce: n))) == "invalid_dpop_proof")
        #expect(post("/oauth/par", parFields(), dpop: proof("POST", parURL + "?ignored=1", nonce: n)).status == 201)
    }

    @Test func dpop_badSignatureOrStaleIAT_isRefused() {
        let n = nonce()
        let good = proof(nonce: n)
        let forged = String(good.dropLast(4)) + (good.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        #expect(errorCode(post("/oauth/par", parFields(), dpop: forged)) == "invalid_dpop_proof")
        #expect(errorCode(post("/oauth/par", parFields(), dpop: proof(nonce: n, iat: f.clock.now - ATProtoMockServer.clockSkew - 1))) == "invalid_dpop_proof")
        #expect(post("/oauth/par", parFields(), dpop: proof(nonce: n, iat: f.clock.now - ATProtoMockServer.clockSkew)).status == 201)
    }

    @Test func nonce_previousStaysValidForOnePeriod() {
        let old = nonce()
        f.clock.advance(ATProtoMockServer.nonceLifetime)
        #expect(nonce() != old)
        #expect(post("/oauth/par", parFields(), dpop: proof(nonce: old)).status == 201)
        f.clock.advance(ATProtoMockServer.nonceLifetime)
        _ = nonce()
        #expect(errorCode(post("/oauth/par", parFields(), dpop: proof(nonce: old))) == "use_dpop_nonce")
    }

    @Test func assertion_wrongAudienceKeyOrReplay_isRefused() {
        let n = nonce()
        var fields = parFields()
        fields.removeLast(2)
        let wrongAudience = fields + f.client.assertionFields(audience: "https://bsky.social")
        #expect(errorCode(post("/oauth/par", wrongAudience, dpop: proof(nonce: n))) == "invalid_client")
        let otherKey = ClientAssertion.formFields(clientID: f.client.configuration.clientID, audience: f.mock.issuer,
                                                  key: ATProtoClientKey(id: "k1", key: P256SoftKey()), environment: ATProtoEnvironment(now: { f.clock.now }))
        #expect(errorCode(post("/oauth/par", fields + otherKey, dpop: proof(nonce: n))) == "invalid_client")
        let unknownKid = ClientAssertion.formFields(clientID: f.client.configuration.clientID, audience: f.mock.issuer,
                                                    key: ATProtoClientKey(id: "k9", key: f.signingKey), environment: ATProtoEnvironment(now: { f.clock.now }))
        #expect(errorCode(post("/oauth/par", fields + unknownKid, dpop: proof(nonce: n))) == "invalid_client")
        let once = parFields()
        #expect(post("/oauth/par", once, dpop: proof(nonce: n)).status == 201)
        #expect(errorCode(post("/oauth/par", once, dpop: proof(nonce: n))) == "invalid_client")
        #expect(errorCode(post("/oauth/par", fields, dpop: proof(nonce: n))) == "invalid_client")
    }

    @Test func par_parameterRules_areEnforced() {
        let n = nonce()
        func refused(_ change: (inout [(String, String)]) -> Void) -> Bool {
            errorCode(post("/oauth/par", parFields(change), dpop: proof(nonce: n))) == "invalid_request"
        }
        #expect(refused { $0[3].1 = "plain" })
        #expect(refused { $0[2].1 = "short" })
        #expect(refused { $0.remove(at: 4) })
        #expect(refused { $0[5].1 = "https://evil.example/cb" })
        #expect(refused { $0[6].1 = "atproto transition:chat.bsky" })
        #expect(refused { $0[6].1 = "transition:generic" })
        #expect(refused { $0[1].1 = "token" })
        #expect(refused { $0.append(("request_uri", "urn:x")) })
        #expect(refused { $0.append(("state", "twice")) })
    }

    @Test func authorize_refusesAnythingButAPushedRequest() throws {
        let start = try f.client.start(identifier: "alice.test")
        let requestURI = try f.requestURI(of: start)
        let clientID = FormEncoding.percentEncode(f.client.configuration.clientID)
        let page = { (query: String) in f.mock.handle(method: "GET", path: "/_dev/atproto/oauth/authorize", query: query, headers: [], body: []).status }
        #expect(page("client_id=\(clientID)&request_uri=\(FormEncoding.percentEncode(requestURI))") == 200)
        #expect(page("client_id=\(clientID)&request_uri=\(FormEncoding.percentEncode(requestURI))&redirect_uri=https%3A%2F%2Fevil.example") == 400)
        #expect(page("client_id=\(clientID)&response_type=code&redirect_uri=x&state=s") == 400)
        #expect(page("client_id=\(clientID)&request_uri=urn%3Aunknown") == 400)
        #expect(page("client_id=other&request_uri=\(FormEncoding.percentEncode(requestURI))") == 400)
    }

    @Test func requestURI_expiresAfterItsLifetime() throws {
        let start = try f.client.start(identifier: "alice.test")
        f.clock.advance(ATProtoMockServer.requestURILifetime)
        #expect(try f.open(start.authorizationURL).status == 200)
        f.clock.advance(1)
        #expect(try f.open(start.authorizationURL).status == 400)
        #expect(try f.approve(requestURI: f.requestURI(of: start), handle: "alice.test").status == 400)
    }

    @Test func code_expiresAfterItsLifetime() throws {
        let start = try f.client.start(identifier: "alice.test")
        let callback = try f.authorize(start, as: "alice.test")
        f.clock.advance(ATProtoMockServer.codeLifetime + 1)
        #expect(error { try f.client.complete(callback, pending: start.pending) } == .grantRefused)
    }

    func tokenRequest(_ start: ATProtoStart, code: String, verifier: String? = nil, key: P256SoftKey? = nil) -> ATProtoHTTPResponse {
        let dpopKey = key ?? P256SoftKey(privateKeyDER: start.pending.dpopKeyDER)!
        let fields: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", f.client.configuration.redirectURI),
            ("code_verifier", verifier ?? start.pending.codeVerifier), ("client_id", f.client.configuration.clientID),
        ] + f.client.assertionFields(audience: f.mock.issuer)
        return post("/oauth/token", fields, dpop: proof("POST", tokenURL, nonce: nonce(), key: dpopKey))
    }

    @Test func token_requiresThePKCEVerifierAndThePARsDPoPKey() throws {
        let start = try f.client.start(identifier: "alice.test")
        let code = try #require(f.authorize(start, as: "alice.test").code)
        #expect(errorCode(tokenRequest(start, code: code, verifier: String(repeating: "w", count: 43))) == "invalid_grant")
        let second = try f.client.start(identifier: "alice.test")
        let secondCode = try #require(f.authorize(second, as: "alice.test").code)
        #expect(errorCode(tokenRequest(second, code: secondCode, key: P256SoftKey())) == "invalid_grant")
        let third = try f.client.start(identifier: "alice.test")
        let thirdCode = try #require(f.authorize(third, as: "alice.test").code)
        let response = tokenRequest(third, code: thirdCode)
        #expect(response.status == 200)
        #expect(object(response.body)["token_type"] as? String == "DPoP")
        #expect(response.header("Cache-Control") == "no-store")
    }

    @Test func replayedCode_revokesTheTokensItBought() throws {
        let g = Fixture(scope: "atproto transition:email")
        g.mock.createAccount(handle: "erin.test", email: "erin@example.com")
        let start = try g.client.start(identifier: "erin.test")
        let callback = try g.authorize(start, as: "erin.test")
        let signIn = try g.client.complete(callback, pending: start.pending)
        #expect(try g.client.accountEmail(signIn) == "erin@example.com")
        #expect(error { try g.client.complete(callback, pending: start.pending) } == .grantRefused)
        #expect(error { try g.client.accountEmail(signIn) } == .badStatus(.session, 401))
    }

    @Test func session_requiresATokenBoundToTheProofKey() throws {
        let g = Fixture(scope: "atproto transition:email")
        let signIn = try g.signIn("alice.test")
        let token = try #require(signIn.accessToken)
        let url = Fixture.base + "/xrpc/com.atproto.server.getSession"
        let get = { (headers: [(String, String)]) in
            g.mock.handle(method: "GET", path: "/_dev/atproto/xrpc/com.atproto.server.getSession", query: "", headers: headers, body: [])
        }
        #expect(get([("Authorization", "Bearer " + token)]).status == 401)
        let nonce = get([("Authorization", "DPoP " + token)]).header("DPoP-Nonce")
        let stranger = DPoPProof.make(key: P256SoftKey(), method: "GET", url: ATProtoURL(url)!, nonce: nonce, accessToken: token,
                                      issuedAt: g.clock.now, jti: "s1")
        let refused = get([("Authorization", "DPoP " + token), ("DPoP", stranger)])
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate")?.contains("invalid_token") == true)
        let owner = DPoPProof.make(key: signIn.dpopKey, method: "GET", url: ATProtoURL(url)!, nonce: nonce, accessToken: "other",
                                   issuedAt: g.clock.now, jti: "s2")
        #expect(get([("Authorization", "DPoP " + token), ("DPoP", owner)]).header("WWW-Authenticate")?.contains("invalid_dpop_proof") == true)
    }

    @Test func client_isFetchedFromItsClientID_whenNotRegistered() throws {
        let clock = TestClock()
        let environment = ATProtoEnvironment(now: { clock.now })
        let documents = ScriptedTransport()
        let mock = ATProtoMockServer(baseURL: Fixture.base, clientTransport: documents, environment: environment)
        let transport = TestTransport(mock: mock)
        let configuration = f.client.configuration
        let client = try ATProtoOAuthClient(configuration: configuration, transport: transport, txtResolver: mock, environment: environment)
        documents.json(configuration.clientID, client.clientMetadata)
        documents.json(configuration.jwksURI, client.jwks)
        #expect(try client.start(identifier: "alice.test").authorizationURL.hasPrefix(Fixture.base))
        #expect(documents.requests.map(\.url) == [configuration.clientID, configuration.jwksURI])

        let other = ATProtoMockServer(baseURL: Fixture.base, clientTransport: documents, environment: environment)
        documents.json(configuration.clientID, ATProtoClientDocuments.metadata(
            clientID: "https://impostor.example/client-metadata.json", clientName: "x", redirectURIs: [configuration.redirectURI],
            scope: configuration.scope, jwksURI: configuration.jwksURI))
        let refusing = try ATProtoOAuthClient(configuration: configuration, transport: TestTransport(mock: other), txtResolver: other, environment: environment)
        #expect(error { try refusing.start(identifier: "alice.test") } == .oauthError(.pushedAuthorization, code: "invalid_client"))
    }

    @Test func registerClient_refusesDocumentsBreakingTheRules() {
        let metadata = f.client.clientMetadata
        #expect(f.mock.registerClient(metadata: metadata.bytes, jwks: f.client.jwks.bytes))
        #expect(!f.mock.registerClient(metadata: metadata.bytes, jwks: nil))
        #expect(!f.mock.registerClient(metadata: metadata.bytes, jwks: Array(#"{"keys":[]}"#.utf8)))
        guard case var .object(members) = metadata else { return }
        members.removeAll { $0.0 == "dpop_bound_access_tokens" }
        #expect(!f.mock.registerClient(metadata: JSONValue.object(members).bytes, jwks: f.client.jwks.bytes))
    }

    @Test func signInPage_listsTheHandles_andEscapesTheHint() throws {
        f.mock.createAccount(handle: "carol.test")
        let start = try f.client.start(identifier: "alice.test")
        let page = String(decoding: try f.open(start.authorizationURL).body, as: UTF8.self)
        for handle in ["alice.test", "bob.test", "carol.test"] { #expect(page.contains("value=\"\(handle)\"")) }
        #expect(page.contains("name=\"other_handle\" value=\"alice.test\""))
        #expect(MockSignInPage.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(try f.approve(requestURI: f.requestURI(of: start), handle: "not a handle").status == 400)
    }

    @Test func identityEndpoints_answerAsThePLCDirectoryAndAPDSDo() {
        let alice = f.mock.accounts[0]
        let get = { (path: String, query: String) in f.mock.handle(method: "GET", path: "/_dev/atproto" + path, query: query, headers: [], body: []) }
        #expect(object(get("/plc/" + alice.did, "").body)["id"] as? String == alice.did)
        #expect(get("/plc/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "").status == 404)
        #expect(object(get("/xrpc/com.atproto.identity.resolveHandle", "handle=alice.test").body)["did"] as? String == alice.did)
        #expect(get("/xrpc/com.atproto.identity.resolveHandle", "handle=nobody.test").status == 400)
        #expect(f.mock.txtRecords("_atproto.alice.test") == ["did=" + alice.did])
        #expect(f.mock.txtRecords("_atproto.nobody.test").isEmpty)
        #expect(f.mock.handleExternal(method: "GET", host: "alice.test", port: nil, path: "/.well-known/atproto-did")?.body == Array(alice.did.utf8))
        #expect(f.mock.handleExternal(method: "GET", host: "nobody.test", port: nil, path: "/.well-known/atproto-did") == nil)
        #expect(ATProtoDID(alice.did)?.method == .plc)
    }

    @Test func routing_answers404And405_andIgnoresPathsOutsideTheBase() {
        #expect(f.mock.handle(method: "GET", path: "/_dev/atproto/nope", query: "", headers: [], body: []).status == 404)
        #expect(f.mock.handle(method: "GET", path: "/_dev/atproto/oauth/token", query: "", headers: [], body: []).status == 405)
        #expect(f.mock.handle(method: "GET", path: "/elsewhere/.well-known/oauth-authorization-server", query: "", headers: [], body: []).status == 404)
        #expect(f.mock.handle(method: "GET", path: "/_dev/atproto/.well-known/oauth-authorization-server", query: "", headers: [], body: []).status == 200)
    }

    @Test func longRunning_logIsCapped_andExpiredRequestsAreForgotten() throws {
        for _ in 0...MockState.maxLogEntries { _ = f.mock.handle(method: "GET", path: "/_dev/atproto/nope", query: "", headers: [], body: []) }
        #expect(f.mock.requestLog.count == MockState.maxLogEntries)
        _ = try f.client.start(identifier: "alice.test")
        f.clock.advance(ATProtoMockServer.requestURILifetime + 1)
        _ = try f.client.start(identifier: "alice.test")
        #expect(f.mock.state.withLock { $0.requests.count } == 1)
    }
}
