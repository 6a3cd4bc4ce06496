import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain

/// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3):
/// `client_secret_basic` or `client_secret_post`, never both (TE-04), never in the query (TE-03); a public
/// client sends only `client_id` and must use PKCE.
package enum ClientAuthentication {
    /// What the request claims: the client id and secret as sent, before any database lookup.
    package struct Credentials: Sendable {
        let clientText: String
        let secret: String?
        let usedBasic: Bool
    }

    /// Parses and checks the request, then verifies the client in a read transaction.
    package static func authenticate(_ request: HTTPRequest, form: OAuthForm, in database: DataStore) throws -> Application {
        let credentials = try credentials(request, form: form)
        return try database.read { try verify(credentials, in: $0) }
    }

    /// The credentials a request presents, with every check that needs no database (TE-03, TE-04, RFC 6749
    /// §2.3.1). The grants verify them inside their own write transaction (`verify`), so a token request costs
    /// one transaction, not a read and then a write.
    package static func credentials(_ request: HTTPRequest, form: OAuthForm) throws -> Credentials {
        if let query = request.query, FormURLEncoding.decode(query).contains(where: { ["client_secret", "client_id", "code", "refresh_token"].contains($0.name) }) {
            throw OAuthError.invalidRequest("Credentials must not be sent in the query string.")
        }
        var basic: (id: String, secret: String)?
        if let header = request.headers["Authorization"] {
            guard header.hasPrefix("Basic "), let decoded = Base64.decode(String(header.dropFirst(6))),
                  let text = String(validating: decoded, as: UTF8.self), let colon = text.firstIndex(of: ":")
            else { throw OAuthError.invalidClient("Malformed Basic credentials.", basic: true) }
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
            basic = (FormURLEncoding.percentDecode(text[..<colon], plusIsSpace: true),
                     FormURLEncoding.percentDecode(text[text.index(after: colon)...], plusIsSpace: true))
        }
        if basic != nil && form["client_secret"] != nil {
            throw OAuthError.invalidRequest("Use one client authentication method, not both.")
        }
        let usedBasic = basic != nil
        guard let clientText = basic?.id ?? form["client_id"] else {
            throw OAuthError.invalidClient("Client authentication is required.", basic: usedBasic)
        }
        if let basic, let bodyID = form["client_id"], bodyID != basic.id {
            throw OAuthError.invalidRequest("client_id does not match the authenticated client.")
        }
        return Credentials(clientText: clientText, secret: basic?.secret ?? form["client_secret"], usedBasic: usedBasic)
    }

    /// The application the credentials name, if they prove it: a confidential client by its secret (SHA-256 at
    /// rest, compared in constant time), a public client by sending none.
    package static func verify(_ credentials: Credentials, in db: SQLTransaction) throws -> Application {
        let usedBasic = credentials.usedBasic
        guard let id = Snowflake.parse(credentials.clientText), let app = try ApplicationStore.find(id: id, in: db)
        else { throw OAuthError.invalidClient("Invalid client credentials.", basic: usedBasic) }
        let secret = credentials.secret
        if app.isPublicClient {
            guard secret == nil || secret == "" else { throw OAuthError.invalidClient("Public clients have no secret.", basic: usedBasic) }
            return app
        }
        guard let secret, !secret.isEmpty else { throw OAuthError.invalidClient("Missing client_secret.", basic: usedBasic) }
        guard ClientSecret.matches(secret, hash: app.clientSecretHash) else {
            throw OAuthError.invalidClient("Invalid client credentials.", basic: usedBasic)
        }
        return app
    }
}
