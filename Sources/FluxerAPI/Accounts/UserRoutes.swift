import HTTPServer
import FluxerDomain

/// `GET /users/@me`: the hot path. A cached session is answered on the event loop; otherwise one indexed
/// lookup on a worker. `PATCH /users/@me`: UserRoutes+Update.swift.
package enum UserRoutes {
    /// What this route group may use of the accounts services (see AccountServices.swift).
    package typealias Services = CallerResolving & Messaging & SudoChecking

    package static func register(on router: inout Router, accounts: any UserRoutes.Services) {
        router.add(.GET, "/users/@me", fastPath: { request in
            // The filter identified the caller: from the cache, or refused without I/O, or left to the worker.
            switch request.caller {
            case .authenticated(let identity)?:
                if case .oauth(_, let scopes, _) = identity.principal.kind, !scopes.contains(OAuthScope.identify.rawValue) { return nil }
                return .apiJSON(.ok, identity.userJSON)
            case .anonymous?, .refused?: return APIError.unauthorizedResponse
            case .unresolved?, nil: return nil
            }
        }) { request in
            do {
                return me(try accounts.requireUser(request, scope: .identify))
            } catch {
                throw StorageFailure.map(error)
            }
        }
        router.addDeferred(.PATCH, "/users/@me") { request, writer in update(request, writer, accounts) }
    }

    /// The private user shape; an OAuth2 caller sees `email` only with the email scope.
    package static func me(_ principal: Principal) -> HTTPResponse {
        let includeEmail = !principal.isOAuth || principal.oauthScopes.contains(OAuthScope.email.rawValue)
        return .json(.ok, principal.user.privateJSON(includeEmail: includeEmail))
    }
}
