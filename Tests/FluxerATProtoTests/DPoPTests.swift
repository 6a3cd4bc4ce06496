@testable import FluxerATProto
import FluxerCrypto
import FluxerJSON
import Synchronization
import Testing

/// RFC 9449 proofs and the nonce retry.
@Suite struct DPoPTests {
    let key = P256SoftKey()

    func parts(_ proof: String) throws -> (header: [String: Any], claims: [String: Any], jws: JOSE.CompactJWS) {
        let jws = try #require(JOSE.CompactJWS(proof))
        return (object(jws.header), object(jws.payload), jws)
    }

    @Test func proof_hasTheRFC9449HeaderAndClaims_andVerifiesWithItsJWK() throws {
        let url = try #require(ATProtoURL("https://auth.example.com/oauth/token?x=1#frag"))
        let proof = DPoPProof.make(key: key, method: "POST", url: url, nonce: nil, accessToken: nil, issuedAt: 1_700_000_000, jti: "j1")
        let (header, claims, jws) = try parts(proof)
        #expect(header["typ"] as? String == "dpop+jwt")
        #expect(header["alg"] as? String == "ES256")
        let jwk = try #require(header["jwk"] as? [String: Any])
        #expect(jwk["kty"] as? String == "EC")
        #expect(jwk["crv"] as? String == "P-256")
        #expect(jwk["d"] == nil)
        let publicKey = try #require(ATProtoJWK.p256Key(x: jwk["x"] as? String, y: jwk["y"] as? String, kty: "EC", crv: "P-256", d: nil))
        #expect(publicKey == key.coseKey)
        #expect(JOSE.verify(jws, alg: "ES256", key: publicKey))
        #expect(!JOSE.verify(jws, alg: "ES256", key: P256SoftKey().coseKey))
        #expect(claims["htm"] as? String == "POST")
        #expect(claims["htu"] as? String == "https://auth.example.com/oauth/token")
        #expect(claims["iat"] as? Int == 1_700_000_000)
        #expect(claims["jti"] as? String == "j1")
        #expect(claims["nonce"] == nil)
        #expect(claims["ath"] == nil)
    }

    @Test func proof_carriesTheNonceAndTheAccessTokenHash() throws {
        let url = try #require(ATProtoURL("https://pds.example.com/xrpc/com.atproto.server.getSession"))
        let proof = DPoPProof.make(key: key, method: "GET", url: url, nonce: "n-1", accessToken: "token", issuedAt: 1, jti: "j")
        let claims = try parts(proof).claims
        #expect(claims["nonce"] as? String == "n-1")
        // base64url(SHA-256("token")).
        #expect(claims["ath"] as? String == Base64URL.encode(SHA256.hash("token")))
        #expect(claims["ath"] as? String == "PEaenWxYddN6Q_NT1PiOYfz4EsZu7jRXRlpAsNpBU-A")
    }

    @Test func thumbprint_matchesRFC9449Example() throws {
        // RFC 9449 §4.1 example proof key; §6.1 gives its RFC 7638 thumbprint.
        let x = try #require(Base64URL.decode("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"))
        let y = try #require(Base64URL.decode("9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"))
        #expect(ATProtoJWK.thumbprint(.ec2P256(x: x, y: y)) == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    }

    @Test func jwk_refusesPrivateKeysOtherCurvesAndBadPoints() {
        let jwk = ATProtoJWK.publicJWK(key.coseKey)
        let x = jwk["x"].flatMap { if case let .string(s) = $0 { s } else { nil } }
        let y = jwk["y"].flatMap { if case let .string(s) = $0 { s } else { nil } }
        #expect(ATProtoJWK.p256Key(x: x, y: y, kty: "EC", crv: "P-256", d: nil) == key.coseKey)
        #expect(ATProtoJWK.p256Key(x: x, y: y, kty: "EC", crv: "P-256", d: "secret") == nil)
        #expect(ATProtoJWK.p256Key(x: x, y: y, kty: "EC", crv: "P-384", d: nil) == nil)
        #expect(ATProtoJWK.p256Key(x: x, y: x, kty: "EC", crv: "P-256", d: nil) == nil)
        #expect(ATProtoJWK.p256Key(x: "AA", y: y, kty: "EC", crv: "P-256", d: nil) == nil)
    }

    /// A server that wants `nonce` and answers each request from a script.
    func exchange(_ responses: [ATProtoHTTPResponse]) -> (DPoPExchange, ScriptedTransport) {
        let transport = ScriptedTransport()
        let queue = Mutex(responses)
        transport.on("https://auth.example.com/oauth/par") { _ in queue.withLock { $0.removeFirst() } }
        let environment = ATProtoEnvironment(now: { 1_700_000_000 })
        return (DPoPExchange(fetcher: ATProtoFetcher(transport: transport), environment: environment, key: key), transport)
    }

    static func useNonce(_ nonce: String?) -> ATProtoHTTPResponse {
        ATProtoHTTPResponse(status: 400, headers: nonce.map { [("DPoP-Nonce", $0)] } ?? [],
                            body: Array(#"{"error":"use_dpop_nonce","error_description":"nonce required"}"#.utf8))
    }

    @Test func exchange_retriesOnceWithTheServerNonce_andRebuildsTheBody() throws {
        let (exchange, transport) = exchange([Self.useNonce("n-1"), ATProtoHTTPResponse(status: 201, headers: [("DPoP-Nonce", "n-2")])])
        var nonce: String?
        let bodies = Mutex(0)
        let response = try exchange.send(method: "POST", url: ATProtoURL("https://auth.example.com/oauth/par")!, headers: [],
                                         body: { bodies.withLock { $0 += 1; return Array("attempt \($0)".utf8) } }, nonce: &nonce, step: .pushedAuthorization)
        #expect(response.status == 201)
        #expect(nonce == "n-2")
        #expect(transport.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["attempt 1", "attempt 2"])
        let proofs = try transport.requests.map { try parts(#require($0.header("DPoP"))).claims }
        #expect(proofs[0]["nonce"] == nil)
        #expect(proofs[1]["nonce"] as? String == "n-1")
        #expect(proofs[0]["jti"] as? String != proofs[1]["jti"] as? String)
    }

    @Test func exchange_secondUseDPoPNonce_fails() {
        let (exchange, transport) = exchange([Self.useNonce("n-1"), Self.useNonce("n-2"), ATProtoHTTPResponse(status: 201)])
        var nonce: String?
        #expect(error {
            try exchange.send(method: "POST", url: ATProtoURL("https://auth.example.com/oauth/par")!, headers: [], body: { [] },
                              nonce: &nonce, step: .pushedAuthorization)
        } == .dpopNonceRetryFailed(.pushedAuthorization))
        #expect(transport.requests.count == 2)
    }

    @Test func exchange_useDPoPNonceWithoutANonce_failsWithoutRetrying() {
        let (exchange, transport) = exchange([Self.useNonce(nil), ATProtoHTTPResponse(status: 201)])
        var nonce: String?
        #expect(error {
            try exchange.send(method: "POST", url: ATProtoURL("https://auth.example.com/oauth/par")!, headers: [], body: { [] },
                              nonce: &nonce, step: .pushedAuthorization)
        } == .dpopNonceRetryFailed(.pushedAuthorization))
        #expect(transport.requests.count == 1)
    }

    @Test func exchange_resourceServerChallenge_isRetriedWithTheAccessToken() throws {
        let challenge = ATProtoHTTPResponse(status: 401, headers: [
            ("WWW-Authenticate", #"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#),
            ("DPoP-Nonce", "rs-1"),
        ])
        let (exchange, transport) = exchange([challenge, ATProtoHTTPResponse(status: 200)])
        var nonce: String?
        let response = try exchange.send(method: "POST", url: ATProtoURL("https://auth.example.com/oauth/par")!, headers: [], body: { [] },
                                         accessToken: "tok", nonce: &nonce, step: .session)
        #expect(response.status == 200)
        #expect(transport.requests.allSatisfy { $0.header("Authorization") == "DPoP tok" })
        #expect(try parts(#require(transport.requests.last?.header("DPoP"))).claims["nonce"] as? String == "rs-1")
    }

    @Test func asksForNonce_readsTheChallengeOrTheBody_only400And401() {
        let body = Array(#"{"error":"use_dpop_nonce"}"#.utf8)
        #expect(DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 400, body: body)))
        #expect(DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 401, body: body)))
        #expect(DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 401, headers: [("www-authenticate", #"DPoP error="use_dpop_nonce""#)])))
        #expect(!DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 401, headers: [("WWW-Authenticate", #"Bearer error="use_dpop_nonce""#)])))
        #expect(!DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 401, headers: [("WWW-Authenticate", #"DPoP error="invalid_token""#)])))
        #expect(!DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 500, body: body)))
        #expect(!DPoPExchange.asksForNonce(ATProtoHTTPResponse(status: 400, body: Array(#"{"error":"invalid_grant"}"#.utf8))))
    }

    @Test func exchange_otherErrors_andBadNonces_areNotRetried() throws {
        let (exchange, transport) = exchange([
            ATProtoHTTPResponse(status: 400, headers: [("DPoP-Nonce", "bad nonce\"")], body: Array(#"{"error":"invalid_request"}"#.utf8)),
        ])
        var nonce: String? = "kept"
        let response = try exchange.send(method: "POST", url: ATProtoURL("https://auth.example.com/oauth/par")!, headers: [], body: { [] },
                                         nonce: &nonce, step: .pushedAuthorization)
        #expect(response.status == 400)
        #expect(nonce == "kept")
        #expect(transport.requests.count == 1)
        #expect(DPoPExchange.validNonce(String(repeating: "a", count: DPoPExchange.maxNonceBytes)) != nil)
        #expect(DPoPExchange.validNonce(String(repeating: "a", count: DPoPExchange.maxNonceBytes + 1)) == nil)
    }
}
