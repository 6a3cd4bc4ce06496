import FluxerCrypto

/// Sends DPoP-protected requests (RFC 9449) with the server-nonce dance: each response's `DPoP-Nonce` is kept for
/// the next proof (§8.2), and a `use_dpop_nonce` refusal — a 400 `{"error":"use_dpop_nonce"}` from an authorization
/// server (§8), or a 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` from a resource server (§9) — is retried
/// exactly once with the new nonce. A second refusal fails the step.
struct DPoPExchange: Sendable {
    /// The longest nonce kept (RFC 9449 §8.1 sets no bound; ours keeps a hostile server from growing proofs).
    static let maxNonceBytes = 512

    let fetcher: ATProtoFetcher
    let environment: ATProtoEnvironment
    let key: P256SoftKey

    /// Sends one request; `body` is rebuilt per attempt, so a client assertion inside it is fresh (its `jti` unused)
    /// on the retry. `nonce` is the last nonce the server gave, updated from every response.
    func send(method: String, url: ATProtoURL, headers: [(String, String)], body: () -> [UInt8], accessToken: String? = nil,
              nonce: inout String?, step: ATProtoStep) throws(ATProtoError) -> ATProtoHTTPResponse {
        var retried = false
        while true {
            let proof = DPoPProof.make(key: key, method: method, url: url, nonce: nonce, accessToken: accessToken,
                                       issuedAt: environment.now(), jti: environment.randomToken(bytes: 16))
            var fields = headers + [("DPoP", proof)]
            if let accessToken { fields.append(("Authorization", "DPoP " + accessToken)) }
            let request = ATProtoHTTPRequest(method: method, url: url.description, headers: fields, body: body())
            let response = try fetcher.send(request, step: step)
            let offered = response.header("DPoP-Nonce").flatMap(Self.validNonce)
            if let offered { nonce = offered }
            guard Self.asksForNonce(response) else { return response }
            guard !retried, offered != nil else { throw .dpopNonceRetryFailed(step) }
            retried = true
        }
    }

    /// A nonce is `1*NQCHAR` (RFC 9449 §8.1: printable ASCII but `"` and `\`), bounded.
    static func validNonce(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= maxNonceBytes,
              text.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E && $0 != 0x22 && $0 != 0x5C })
        else { return nil }
        return text
    }

    /// Whether the response refuses the proof for want of a (fresh) nonce.
    static func asksForNonce(_ response: ATProtoHTTPResponse) -> Bool {
        switch response.status {
        case 400:
            return ATProtoJSON.oauthErrorCode(response.body) == "use_dpop_nonce"
        case 401:
            if let challenge = response.header("WWW-Authenticate"), challenge.hasPrefix("DPoP"),
               challenge.contains("error=\"use_dpop_nonce\"") { return true }
            // Some authorization servers answer the token endpoint's nonce demand with 401 and the §8 body.
            return ATProtoJSON.oauthErrorCode(response.body) == "use_dpop_nonce"
        default:
            return false
        }
    }
}
