/// The decision made for each address libcurl is about to connect to (see `HTTPClientPolicy` for the rules).
/// A plain value so the rule is tested without sockets; `Transfer` applies it in the open-socket callback.
struct ConnectRule: Equatable {
    /// The URL's host, for the error.
    let host: String
    /// Whether the address must be public (`.publicOnly` and the host is not in `allowedHosts`).
    let requiresPublicAddress: Bool
    /// Whether the address must be loopback (`http://` without `allowsPlainHTTP`).
    let requiresLoopback: Bool

    init(policy: HTTPClientPolicy, url: RequestURL) {
        host = url.host
        requiresPublicAddress = policy.addressRule == .publicOnly && !policy.allows(host: url.host)
        requiresLoopback = !url.isTLS && !policy.allowsPlainHTTP
    }

    /// Why a connection to `address` is refused, or nil to allow it. An address of another family than IPv4 and
    /// IPv6 (nil) is refused whenever a rule applies.
    func refusal(for address: IPAddress?) -> HTTPClientError? {
        if requiresPublicAddress, address?.isPublic != true { return .addressNotAllowed(host: host) }
        if requiresLoopback, address?.isLoopback != true { return .schemeNotAllowed }
        return nil
    }
}
