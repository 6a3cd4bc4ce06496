@testable import FluxerATProto
import FluxerCrypto
import FluxerJSON
import Testing

/// RFC 7523 client assertions, the JWKS and the client metadata document.
@Suite struct ClientAuthenticationTests {
    let key = ATProtoClientKey(id: "key-2026", key: P256SoftKey())
    let clientID = "https://auth.example.org/oauth/atproto/client-metadata.json"

    @Test func assertion_hasRFC7523Claims_andVerifiesWithThePublishedKey() throws {
        let assertion = ClientAssertion.make(clientID: clientID, audience: "https://bsky.social", key: key, issuedAt: 1_700_000_000, jti: "a1")
        let jws = try #require(JOSE.CompactJWS(assertion))
        let header = object(jws.header)
        #expect(header["alg"] as? String == "ES256")
        #expect(header["kid"] as? String == "key-2026")
        let claims = object(jws.payload)
        #expect(claims["iss"] as? String == clientID)
        #expect(claims["sub"] as? String == clientID)
        #expect(claims["aud"] as? String == "https://bsky.social")
        #expect(claims["jti"] as? String == "a1")
        #expect(claims["iat"] as? Int == 1_700_000_000)
        #expect(claims["exp"] as? Int == 1_700_000_000 + Int(ClientAssertion.lifetimeSeconds))
        #expect(JOSE.verify(jws, alg: "ES256", key: key.key.coseKey))
    }

    @Test func assertionFields_useAFreshJTIEachTime() throws {
        let environment = ATProtoEnvironment(now: { 1 })
        let first = ClientAssertion.formFields(clientID: clientID, audience: "https://bsky.social", key: key, environment: environment)
        let second = ClientAssertion.formFields(clientID: clientID, audience: "https://bsky.social", key: key, environment: environment)
        #expect(first.map(\.0) == ["client_assertion_type", "client_assertion"])
        #expect(first[0].1 == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        let jti = { (fields: [(String, String)]) in object(JOSE.CompactJWS(fields[1].1)!.payload)["jti"] as? String }
        #expect(jti(first) != nil)
        #expect(jti(first) != jti(second))
    }

    @Test func jwks_publishesEachKeyWithItsKid() throws {
        let retired = P256SoftKey()
        let jwks = ATProtoClientDocuments.jwks([(key.id, key.key.coseKey), ("key-2025", retired.coseKey)])
        let keys = try #require(object(jwks)["keys"] as? [[String: Any]])
        #expect(keys.count == 2)
        #expect(keys.map { $0["kid"] as? String } == ["key-2026", "key-2025"])
        #expect(keys.allSatisfy { $0["kty"] as? String == "EC" && $0["crv"] as? String == "P-256" && $0["alg"] as? String == "ES256" })
        #expect(keys.allSatisfy { $0["use"] as? String == "sig" && $0["d"] == nil })
        #expect(ATProtoJWK.p256Key(x: keys[1]["x"] as? String, y: keys[1]["y"] as? String, kty: "EC", crv: "P-256", d: nil) == retired.coseKey)
    }

    @Test func metadata_describesAConfidentialDPoPWebClient() throws {
        let document = object(ATProtoClientDocuments.metadata(
            clientID: clientID, clientName: "FluxerAuth", redirectURIs: ["https://auth.example.org/auth/sso/callback"],
            scope: "atproto transition:generic", jwksURI: "https://auth.example.org/oauth/atproto/jwks.json"))
        #expect(document["client_id"] as? String == clientID)
        #expect(document["client_name"] as? String == "FluxerAuth")
        #expect(document["application_type"] as? String == "web")
        #expect(document["grant_types"] as? [String] == ["authorization_code", "refresh_token"])
        #expect(document["response_types"] as? [String] == ["code"])
        #expect(document["redirect_uris"] as? [String] == ["https://auth.example.org/auth/sso/callback"])
        #expect(document["scope"] as? String == "atproto transition:generic")
        #expect(document["dpop_bound_access_tokens"] as? Bool == true)
        #expect(document["token_endpoint_auth_method"] as? String == "private_key_jwt")
        #expect(document["token_endpoint_auth_signing_alg"] as? String == "ES256")
        #expect(document["jwks_uri"] as? String == "https://auth.example.org/oauth/atproto/jwks.json")
    }

    @Test func pkce_s256_matchesRFC7636AppendixB() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let verifier = PKCE.makeVerifier(ATProtoEnvironment(now: { 0 }))
        #expect(verifier.count == 43)
        #expect(verifier != PKCE.makeVerifier(ATProtoEnvironment(now: { 0 })))
    }
}
