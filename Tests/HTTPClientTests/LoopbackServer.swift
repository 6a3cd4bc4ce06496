#if canImport(Glibc)
import Glibc
#endif
import HTTPClient
import HTTPServer

/// The well-behaved peer: the repo's own HTTPServer on an ephemeral loopback port.
func makeClientTestRouter() -> Router {
    var router = Router(prefixes: [])
    router.add(.GET, "/hello") { _ in .text(.ok, "hello") }
    router.add(.HEAD, "/hello") { _ in .text(.ok, "hello") }
    for method in [HTTPMethod.POST, .PUT, .PATCH, .DELETE] {
        // The method, then the body: shows what arrived.
        router.add(method, "/echo") { request in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream", "X-Method": request.method.rawValue],
                         body: request.body)
        }
    }
    // The request's header fields, one "name: value" per line, names lowercased.
    router.add(.GET, "/headers") { request in
        .text(.ok, request.headers.map { "\($0.name.lowercased()): \($0.value)" }.joined(separator: "\n"))
    }
    router.add(.POST, "/headers") { request in
        .text(.ok, request.headers.map { "\($0.name.lowercased()): \($0.value)" }.joined(separator: "\n"))
    }
    router.add(.GET, "/redirect") { _ in
        HTTPResponse(status: HTTPStatus(302), headers: ["Location": "/hello"], body: Array("moved".utf8))
    }
    router.add(.GET, "/status/:code") { request in
        HTTPResponse(status: HTTPStatus(Int(request.parameters["code"] ?? "") ?? 500), body: Array("status".utf8))
    }
    router.add(.GET, "/bytes/:count") { request in
        let count = Int(request.parameters["count"] ?? "0") ?? 0
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"],
                            body: [UInt8](repeating: 0x61, count: count))
    }
    router.add(.GET, "/multi") { _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain", "X-Dup": "1", "x-dup": "2"], body: [])
    }
    return router
}

/// Runs `body` with the port of a fresh HTTPServer on `host`, then shuts the server down.
func withHTTPServer(host: String = "127.0.0.1", _ body: (Int) throws -> Void) throws {
    var configuration = HTTPServerConfiguration()
    configuration.listenAddresses = [ListenAddress(host: host, port: 0)]
    configuration.workerCount = 4
    configuration.eventLoopCount = 1
    configuration.shutdownGraceMilliseconds = 1_000
    let server = HTTPServer(configuration: configuration, router: makeClientTestRouter())
    try server.start()
    defer { server.shutdown() }
    try body(server.boundPorts[0])
}

/// A policy for talking to loopback test servers: any address, short timeouts.
func loopbackPolicy(
    connectTimeout: Duration = .seconds(2), totalTimeout: Duration = .seconds(5), maxResponseBytes: Int = 1 << 20,
    maxResponseHeaderBytes: Int = 64 << 10, maxResponseHeaderCount: Int = 100, caFile: String? = nil
) -> HTTPClientPolicy {
    HTTPClientPolicy(
        connectTimeout: connectTimeout, totalTimeout: totalTimeout, maxResponseBytes: maxResponseBytes,
        maxResponseHeaderBytes: maxResponseHeaderBytes, maxResponseHeaderCount: maxResponseHeaderCount,
        addressRule: .any, caFile: caFile)
}

/// Sends with `policy`, returning the response or the error.
func fetch(_ url: String, policy: HTTPClientPolicy = loopbackPolicy(), method: String = "GET",
           headers: [(name: String, value: String)] = [], body: [UInt8] = []) -> Result<HTTPClientResponse, HTTPClientError> {
    let client = HTTPClient(policy: policy)
    return Result { () throws(HTTPClientError) in
        try client.send(HTTPClientRequest(method: method, url: url, headers: headers, body: body))
    }
}

extension Result where Failure == HTTPClientError {
    /// The error, or nil on success.
    var failure: HTTPClientError? {
        if case .failure(let error) = self { return error }
        return nil
    }

    /// The response, or nil on failure (for `#expect`, which cannot hold a typed `try`).
    var response: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

extension HTTPClientResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Monotonic milliseconds.
func nowMilliseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// Whether this machine can bind the IPv6 loopback.
let hasIPv6Loopback: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in6()
    addr.sin6_family = sa_family_t(AF_INET6)
    addr.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}()
