import HTTPServer
import FluxerDomain

/// The request storage key under which the router's filter leaves the caller it identified.
package enum CallerKey: RequestStorageKey {
    package typealias Value = Caller
}

extension HTTPRequest {
    /// Who is calling, as the filters decided (`Authenticator.identify` on the event loop, `resolve` on the
    /// worker); nil only for a request that has not been through them (built in code).
    package var caller: Caller? {
        get { self[CallerKey.self] }
        set { self[CallerKey.self] = newValue }
    }
}
