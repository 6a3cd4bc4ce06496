#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPServer
import Testing
import FluxerJSON

/// An error that does not render itself: must become a bare 500.
struct SecretFailure: Error, CustomStringConvertible {
    var description: String { "database password is hunter2" }
}

/// An error that renders its own response.
struct TeapotError: HTTPResponseError {
    var response: HTTPResponse { .error(418, code: "TEAPOT", message: "Short and stout.") }
}

/// The router every server test uses.
func makeTestRouter() -> Router {
    var router = Router()
    router.add(.GET, "/hello") { _ in .text(.ok, "hello") }
    router.add(.POST, "/echo") { request in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.add(.GET, "/sleep/:ms") { request in
        let ms = Int(request.parameters["ms"] ?? "0") ?? 0
        usleep(UInt32(ms) * 1000)
        return .text(.ok, "slept \(ms)")
    }
    router.add(.GET, "/items/:id") { request in
        .json(.ok, "{\"id\":\(JSONText.quote(request.parameters["id"] ?? ""))}")
    }
    router.add(.DELETE, "/items/:id") { _ in .noContent }
    router.add(.GET, "/empty") { _ in .noContent }
    router.add(.GET, "/boom") { _ in throw SecretFailure() }
    router.add(.GET, "/teapot") { _ in throw TeapotError() }
    router.add(.GET, "/fast", runsOnEventLoop: true) { _ in .text(.ok, "fast") }
    router.add(.GET, "/reflect") { request in
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/plain")
        headers.add("X-Reflect", request.queryValue("v") ?? "")
        return HTTPResponse(status: .ok, headers: headers, body: Array("ok".utf8))
    }
    router.add(.GET, "/big/:mib") { request in
        let mib = Int(request.parameters["mib"] ?? "1") ?? 1
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"],
                            body: [UInt8](repeating: 0x62, count: mib << 20))
    }
    router.add(.GET, "/whoami") { request in
        .text(.ok, "\(request.method.rawValue) \(request.path) host=\(request.host ?? "-") query=\(request.query ?? "-")")
    }
    return router
}

/// Limits with short timeouts, for the tests that wait on them.
func shortTimeouts(head: Int = 500, body: Int = 500) -> HTTPLimits {
    var limits = HTTPLimits()
    limits.headTimeoutMilliseconds = head
    limits.bodyIdleTimeoutMilliseconds = body
    return limits
}

/// Starts a server on an ephemeral port, runs `body` with it and its port, then shuts it down.
func withServer(
    host: String = "127.0.0.1", limits: HTTPLimits = HTTPLimits(), workers: Int = 4, loops: Int = 2,
    router: Router = makeTestRouter(), uncapped: Set<String> = [], _ body: (HTTPServer, Int) throws -> Void
) throws {
    let server = try startServer(host: host, limits: limits, workers: workers, loops: loops, router: router, uncapped: uncapped)
    defer { server.shutdown() }
    try body(server, server.boundPorts[0])
}

func startServer(
    host: String = "127.0.0.1", limits: HTTPLimits = HTTPLimits(), workers: Int = 4, loops: Int = 2,
    router: Router = makeTestRouter(), uncapped: Set<String> = []
) throws -> HTTPServer {
    var configuration = HTTPServerConfiguration()
    configuration.uncappedClientAddresses = uncapped
    configuration.listenAddresses = [ListenAddress(host: host, port: 0)]
    configuration.limits = limits
    configuration.workerCount = workers
    configuration.eventLoopCount = loops
    configuration.shutdownGraceMilliseconds = 3_000
    let server = HTTPServer(configuration: configuration, router: router)
    try server.start()
    return server
}

/// One request on a fresh connection; returns the response.
func roundTrip(_ request: String, port: Int, host: String = "127.0.0.1", head: Bool = false) throws -> WireResponse {
    let client = try RawClient(host: host, port: port)
    try client.send(request)
    return try client.readResponse(head: head)
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
