import HTTPServer
import SQLite

/// The route table. Every feature registers here; every route answers under `/api/v1`, `/v1` and unversioned.
package enum Routes {
    package static func make(_ context: AppContext, accounts: Accounts, sso: SSOService) -> Router {
        var router = Router()
        OpsRoutes.register(on: &router, context: context)
        AuthRoutes.register(on: &router, accounts: accounts)
        UserRoutes.register(on: &router, accounts: accounts)
        IPAuthorizationRoutes.register(on: &router, accounts: accounts)
        PasswordChangeRoutes.register(on: &router, accounts: accounts)
        HandoffRoutes.register(on: &router, accounts: accounts)
        AccountChangeRoutes.register(on: &router, accounts: accounts)
        ApplicationRoutes.register(on: &router, accounts: accounts, keys: accounts.botKeys)
        AuthorizeRoutes.register(on: &router, accounts: accounts, sso: sso)
        TokenRoutes.register(on: &router, accounts: accounts)
        OAuthResourceRoutes.register(on: &router, accounts: accounts)
        MFALoginRoutes.register(on: &router, accounts: accounts)
        MFARoutes.register(on: &router, accounts: accounts)
        WebAuthnRoutes.register(on: &router, accounts: accounts)
        OutboxRoutes.register(on: &router, context: context)
        DevRoutes.register(on: &router, accounts: accounts)
        sso.register(on: &router)
        OpenAPIRoutes.register(on: &router, context: context)
        // The filters run before every route; the rate limits are decided per route once all are registered.
        let limits = RateLimitFilter(config: context.config, accounts: accounts, routes: router.routesByIndex)
        let filters = RequestFilters(authenticator: accounts.authenticator, limits: limits, trustedProxies: context.config.trustedProxies)
        router.filter = { request in filters.onEventLoop(&request) }
        router.workerFilter = { request in filters.onWorker(&request) }
        return router
    }
}

extension Router {
    /// Registers a product route whose storage failures become 503 `SERVICE_UNAVAILABLE` (a full disk, an I/O
    /// error or a write lock held past the busy timeout), never a 500 or a crash.
    package mutating func api(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler) {
        add(method, pattern) { request in
            do {
                return try handler(request)
            } catch {
                throw StorageFailure.map(error)
            }
        }
    }
}
