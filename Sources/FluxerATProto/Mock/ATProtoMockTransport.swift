/// An in-process transport to an `ATProtoMockServer`: URLs under its base go to `handle`, the handle and `did:web`
/// hosts it knows go to `handleExternal`, everything else is unreachable. Tests use it; so can a development app
/// that wants its client to reach its own mock without a socket.
public struct ATProtoMockTransport: ATProtoTransport {
    /// The mock.
    public let server: ATProtoMockServer

    /// A transport to `server`.
    public init(server: ATProtoMockServer) {
        self.server = server
    }

    /// Dispatches `request` to the mock; `.unreachable` for hosts it does not serve.
    public func send(_ request: ATProtoHTTPRequest) throws(ATProtoTransportError) -> ATProtoHTTPResponse {
        guard let url = ATProtoURL(request.url) else { throw .unreachable("not an http(s) URL") }
        if url.origin == server.base.origin, url.path.hasPrefix(server.base.path) {
            return server.handle(method: request.method, path: url.path, query: url.query ?? "", headers: request.headers, body: request.body)
        }
        if let response = server.handleExternal(method: request.method, host: url.host, port: url.port, path: url.path) {
            return response
        }
        throw .unreachable("no route to \(url.host)")
    }
}
