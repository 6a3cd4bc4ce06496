import HTTPServer

/// `GET /users/@me`: the hot path. A cached session is answered on the event loop; otherwise one indexed
/// lookup on a worker.
enum UserRoutes {
    static func register(on router: inout Router, accounts: Accounts) {
        router.add(.GET, "/users/@me", fastPath: { request in
            accounts.cachedEntry(request).map { .json(.ok, $0.userJSON) }
        }) { request in
            do {
                return me(try accounts.requireUser(request))
            } catch {
                throw StorageFailure.map(error)
            }
        }
    }

    static func me(_ principal: Principal) -> HTTPResponse {
        .json(.ok, principal.user.privateJSON())
    }
}
