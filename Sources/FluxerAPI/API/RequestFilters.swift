import HTTPServer

/// What every matched request passes before its route (DESIGN "identify once, rate limits"):
/// - on the event loop: the client address, then the caller (`Authenticator.identify`: no I/O), then the rate
///   limits when the caller is decided;
/// - on the worker, for a caller the event loop could not decide from memory: its one database lookup
///   (`Authenticator.resolve`), then the rate limits it waited for.
/// The route then reads the caller from the request (`HTTPRequest.caller`).
///
/// Routes that run on the event loop never reach the worker filter, so they must be exempt from the limits
/// (`RateLimitBuckets.exempt`; a test checks it).
package struct RequestFilters: Sendable {
    package let authenticator: Authenticator
    package let limits: RateLimitFilter
    package let trustedProxies: Set<String>

    package func onEventLoop(_ request: inout HTTPRequest) -> HTTPResponse? {
        request.remoteAddress = ClientAddress.resolve(request, trustedProxies: trustedProxies)
        let caller = authenticator.identify(request)
        request.caller = caller
        if case .unresolved = caller { return nil }
        return limits.applies(to: request) ? limits.apply(&request, caller: caller) : nil
    }

    package func onWorker(_ request: inout HTTPRequest) -> HTTPResponse? {
        guard let pending = request.caller, case .unresolved = pending else { return nil }
        // If the database cannot answer, the caller stays unresolved: the route meets the same failure when it
        // asks and reports it its own way, and the limit meanwhile counts the request by address.
        let caller = (try? authenticator.resolve(pending)) ?? pending
        request.caller = caller
        return limits.applies(to: request) ? limits.apply(&request, caller: caller) : nil
    }
}
