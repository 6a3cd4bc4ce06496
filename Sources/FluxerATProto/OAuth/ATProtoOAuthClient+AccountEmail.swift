extension ATProtoOAuthClient {
    /// The scope under which the PDS reveals the account's email (atproto OAuth, "Transitional Scopes").
    public static let emailScope = "transition:email"

    /// The account's email from `com.atproto.server.getSession` on its PDS, called with the DPoP-bound access token
    /// (RFC 9449 §7: `Authorization: DPoP`, a proof with `ath`, the PDS's own nonce). Nil unless the granted scope
    /// includes `transition:email` and the PDS reports the address confirmed.
    public func accountEmail(_ signIn: ATProtoSignIn) throws(ATProtoError) -> String? {
        guard Self.grants(signIn.scope, Self.emailScope), let accessToken = signIn.accessToken,
              let pds = ATProtoURL(signIn.pds)
        else { return nil }
        guard let url = ATProtoURL(pds.base + "/xrpc/com.atproto.server.getSession") else { return nil }
        struct Session: Decodable {
            var did: String?
            var email: String?
            var emailConfirmed: Bool?
        }
        var nonce: String?
        let exchange = DPoPExchange(fetcher: fetcher, environment: environment, key: signIn.dpopKey)
        let response = try exchange.send(method: "GET", url: url, headers: [("Accept", "application/json")], body: { [] },
                                         accessToken: accessToken, nonce: &nonce, step: .session)
        guard response.status == 200 else { throw .badStatus(.session, response.status) }
        let session = try ATProtoJSON.decode(Session.self, from: response.body, step: .session)
        // A session for another account is not this account's email.
        guard session.did == nil || session.did == signIn.did.string else { throw .malformed(.session) }
        guard session.emailConfirmed == true, let email = session.email, !email.isEmpty else { return nil }
        return email
    }
}
