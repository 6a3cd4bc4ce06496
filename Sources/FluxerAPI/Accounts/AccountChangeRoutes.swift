import FluxerCrypto
import FluxerDomain
import FluxerJSON
import FluxerPersistence
import HTTPServer

/// `POST /auth/email-revert` (the link an email change sends to the old address) and
/// `POST /auth/username-suggestions` (registration's helper).
package enum AccountChangeRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = SessionIssuing & SudoChecking & Messaging

    package static func register(on router: inout Router, accounts: any AccountChangeRoutes.Services) {
        router.addDeferred(.POST, "/auth/email-revert") { request, writer in revertEmail(request, writer, accounts) }
        router.api(.POST, "/auth/username-suggestions") { request in try usernameSuggestions(request, accounts) }
    }

    // MARK: - Email revert

    package struct RevertBody: Decodable {
        package var token: String
        package var password: String
    }

    package static let invalidRevertToken = APIError.invalidField("token", "Invalid or expired revert token.", code: "INVALID_OR_EXPIRED_REVERT_TOKEN")

    /// `{token, password}` → `{user_id, token}` (the real server's `AuthEmailRevertService`): the old address is
    /// restored and proven, the password replaced, and everything whoever made the change could have set up is
    /// shut out as when an unverified account is claimed (`claimUnverifiedAccount`: second factors, passkeys,
    /// phone, every session and OAuth2 grant, SSO links, links still out, application secrets). The answer is
    /// always a session: no second factor is left.
    package static func revertEmail(_ request: HTTPRequest, _ writer: ResponseWriter, _ accounts: any AccountChangeRoutes.Services) {
        writer.respondAsync { finish in
            try accounts.refuseBots(request)
            try accounts.refuseLocalAuthWhenSSOEnforced()
            let body = try JSONBody.decode(RevertBody.self, from: request)
            if let e = AccountValidation.password(body.password) { throw APIError.invalidFormBody([e]) }
            let hash = SHA256.hash(Array(body.token.utf8))
            let now = accounts.now
            // Cheap early answer for a bad link; it is spent only in the final transaction.
            guard EmailToken.isWellFormed(body.token),
                  let owner = try accounts.context.database.read({ db -> User? in
                      guard let id = try EmailChangeStore.owner(hash: hash, purpose: .revert, now: now, in: db) else { return nil }
                      return try UserStore.find(id: id, in: db)
                  }), !owner.isBot
            else { throw invalidRevertToken }
            if let e = AccountValidation.newPassword(body.password, username: owner.username, email: owner.email,
                                                     blocklist: accounts.context.config.passwordBlocklist) {
                throw APIError.invalidFormBody([e])
            }
            try accounts.hashOnPool(body.password, reply: finish) { passwordHash in
                let (userID, token) = try accounts.write { db, invalidations -> (UInt64, String) in
                    let now = accounts.now
                    guard let (userID, email) = try EmailChangeStore.consume(hash: hash, purpose: .revert, now: now, in: db) else {
                        throw invalidRevertToken
                    }
                    guard try UserStore.isEmailAvailable(email, for: userID, now: now, in: db) else {
                        throw APIError.invalidField("token", "The address is used by another account.", code: "EMAIL_ALREADY_IN_USE")
                    }
                    try accounts.claimUnverifiedAccount(userID, reason: "email_revert", keepPassword: true, request: request, in: db,
                                                        invalidations: &invalidations)
                    try UserStore.setEmail(userID: userID, email: email, verified: true, in: db)
                    try UserStore.setPassword(userID: userID, hash: passwordHash, now: now, in: db)
                    try AccountLockout.recordSuccess(userID: userID, in: db)
                    return (userID, try accounts.createSession(for: userID, request: request, in: db, &invalidations))
                }
                accounts.audit.record("email.revert", outcome: "success", userID: userID, request: request)
                finish(APIError.sessionResponse(userID: userID, token: token))
            }
        }
    }

    // MARK: - Username suggestions

    package struct SuggestionsBody: Decodable {
        package var global_name: String
    }

    /// How many suggestions are offered at most (Fluxer's document allows 20).
    package static let maxSuggestions = 5

    /// `{global_name}` → `{suggestions: […]}`: usernames derived from the display name (the real server's
    /// `deriveUsernameFromDisplayName`), then the same with a number, each valid and still free (some
    /// discriminator left for it). The display name is checked as registration checks it (1–32 characters).
    package static func usernameSuggestions(_ request: HTTPRequest, _ accounts: any AccountChangeRoutes.Services) throws -> HTTPResponse {
        try accounts.refuseLocalAuthWhenSSOEnforced()
        let body = try JSONBody.decode(SuggestionsBody.self, from: request)
        if let e = AccountValidation.globalName(body.global_name) { throw APIError.invalidFormBody([e]) }
        var candidates: [String] = []
        if let base = AccountValidation.usernameCandidate(from: body.global_name) {
            candidates.append(base)
            let stem = String(base.prefix(AccountValidation.usernameLength.upperBound - 5))
            while candidates.count < maxSuggestions * 2 {
                let candidate = stem + "_" + String(SecureRandom.uniform(9000) + 1000)
                if !candidates.contains(where: { $0.lowercased() == candidate.lowercased() }) { candidates.append(candidate) }
            }
        }
        let free = try accounts.context.database.read { db in
            try candidates.filter { candidate in
                guard AccountValidation.username(candidate) == nil else { return false }
                return try UserStore.countUsing(username: candidate, in: db) < 9999
            }
        }
        return .json(.ok, JSONValue.object([("suggestions", .array(free.prefix(maxSuggestions).map(JSONValue.string)))]))
    }
}
