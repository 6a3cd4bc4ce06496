import HTTPServer

/// `GET /users/@me`: the hot path. A cached session is answered on the event loop; otherwise one indexed
/// lookup on a worker.
enum UserRoutes {
    static func register(on router: inout Router, accounts: Accounts) {
        router.add(.GET, "/users/@me", fastPath: { request in
            // The rate-limit filter may already have probed the cache (and noted the session's use).
            let entry: PrincipalCache.Entry
            switch accounts.fastCaller(request) {
            case .known(let known): entry = known
            case .refused: return APIError.unauthorizedResponse
            case .unknown: return nil
            }
            if case .oauth(_, let scopes, _) = entry.kind, !scopes.contains(OAuthScope.identify.rawValue) { return nil }
            return .apiJSON(.ok, entry.userJSON)
        }) { request in
            do {
                return me(try accounts.requireUser(request, scope: .identify))
            } catch {
                throw StorageFailure.map(error)
            }
        }
    }

    /// The private user shape; an OAuth2 caller sees `email` only with the email scope.
    static func me(_ principal: Principal) -> HTTPResponse {
        let includeEmail = !principal.isOAuth || principal.oauthScopes.contains(OAuthScope.email.rawValue)
        return .json(.ok, principal.user.privateJSON(includeEmail: includeEmail))
    }
}
