import FluxerCrypto
import FluxerJSON
import FoundationEssentials

/// What a DPoP check decided.
enum MockDPoPOutcome: Equatable {
    /// A valid proof by the key with this RFC 7638 thumbprint.
    case valid(jkt: String)
    /// The proof lacks the current server nonce (RFC 9449 §8).
    case useNonce
    /// The proof is refused.
    case invalid(String)
}

/// JWT parts the mock reads.
enum MockJWT {
    struct JWK: Decodable {
        var kty: String?
        var crv: String?
        var x: String?
        var y: String?
        var d: String?
    }

    struct ProofHeader: Decodable {
        var typ: String?
        var alg: String?
        var jwk: JWK?
    }

    struct ProofClaims: Decodable {
        var jti: String
        var htm: String
        var htu: String
        var iat: Int64
        var nonce: String?
        var ath: String?
    }

    /// Strict JSON, then the typed shape; nil when either fails.
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        guard bytes.count <= ATProtoJSON.maxDocumentBytes, StrictJSON.violation(in: bytes) == nil else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(bytes))
    }
}

extension ATProtoMockServer {
    /// RFC 9449 §4.3 proof checks, in order: one `DPoP` header; a compact JWS with `typ: dpop+jwt`, `alg: ES256` and
    /// a public P-256 `jwk`; a valid signature by that key; `htm` and `htu` naming this request; `iat` within the
    /// skew; `ath` matching the access token when one is presented; the server nonce; a `jti` not seen before.
    func verifyDPoP(_ request: MockRequest, htu expected: String, accessToken: String? = nil) -> MockDPoPOutcome {
        guard request.headerCount("DPoP") == 1, let proof = request.header("DPoP") else {
            return .invalid("exactly one DPoP header is required")
        }
        guard let jws = JOSE.CompactJWS(proof, maxBytes: 8 * 1024),
              let header = MockJWT.decode(MockJWT.ProofHeader.self, jws.header),
              header.typ == DPoPProof.type, header.alg == "ES256", let jwk = header.jwk,
              let key = ATProtoJWK.p256Key(x: jwk.x, y: jwk.y, kty: jwk.kty, crv: jwk.crv, d: jwk.d)
        else { return .invalid("the DPoP proof header is not a dpop+jwt ES256 header with a public P-256 jwk") }
        guard JOSE.verify(jws, alg: "ES256", key: key) else { return .invalid("the DPoP proof signature does not verify") }
        guard let claims = MockJWT.decode(MockJWT.ProofClaims.self, jws.payload) else {
            return .invalid("the DPoP proof claims are malformed")
        }
        guard claims.htm == request.method else { return .invalid("htm does not match the request method") }
        guard let htu = ATProtoURL(claims.htu), htu.fragment == nil, htu.query == nil, htu.withoutQuery == expected else {
            return .invalid("htu does not match the request URL")
        }
        let now = environment.now()
        guard abs(claims.iat - now) <= Self.clockSkew else { return .invalid("iat is outside the accepted window") }
        guard !claims.jti.isEmpty, claims.jti.utf8.count <= 256 else { return .invalid("jti is missing") }
        if let accessToken {
            guard claims.ath == DPoPProof.accessTokenHash(accessToken) else { return .invalid("ath does not match the access token") }
        }
        let current = currentNonce()
        let faults = state.withLock { $0.faults }
        if faults.alwaysDemandNonce { return .useNonce }
        if faults.requiresNonce {
            let previous = state.withLock { $0.previousNonce }
            guard let nonce = claims.nonce, nonce == current || (!previous.isEmpty && nonce == previous) else { return .useNonce }
        }
        let fresh = state.withLock { $0.remember(jti: "dpop:" + claims.jti, until: now + 2 * Self.clockSkew, now: now) }
        guard fresh else { return .invalid("the DPoP proof was already used") }
        return .valid(jkt: ATProtoJWK.thumbprint(key))
    }

    /// The authorization server's answer to a refused proof (RFC 9449 §7.1, §8).
    func dpopRefusal(_ outcome: MockDPoPOutcome) -> ATProtoHTTPResponse {
        let nonce = [("DPoP-Nonce", currentNonce())]
        if case let .invalid(reason) = outcome { return MockResponse.oauthError(400, "invalid_dpop_proof", reason, headers: nonce) }
        return MockResponse.oauthError(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof", headers: nonce)
    }

    /// The resource server's answer (RFC 9449 §7.1, §9): 401 with a `DPoP` challenge.
    func resourceRefusal(_ error: String, _ description: String) -> ATProtoHTTPResponse {
        ATProtoHTTPResponse(status: 401, headers: [
            ("WWW-Authenticate", "DPoP algs=\"ES256\", error=\"\(error)\", error_description=\"\(description)\""),
            ("DPoP-Nonce", currentNonce()), ("Content-Type", "application/json"),
        ], body: JSONValue.object([("error", .string(error)), ("message", .string(description))]).bytes)
    }
}
