#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPServer
import Testing

/// Typed request storage (a filter hands a value to the fast path, the worker filter and the handler) and the
/// worker filter that may finish what the event loop began.
@Suite struct RequestStorageTests {
    enum Who: RequestStorageKey { typealias Value = String }
    enum Count: RequestStorageKey { typealias Value = Int }

    @Test func valuesAreTypedByKey_andCopiesAreIndependent() {
        var request = HTTPRequest(method: .GET, path: "/")
        #expect(request[Who.self] == nil)
        request[Who.self] = "ann"
        request[Count.self] = 2
        #expect(request[Who.self] == "ann")
        #expect(request[Count.self] == 2)
        var copy = request
        copy[Who.self] = "bob"
        copy[Count.self] = nil
        #expect(request[Who.self] == "ann" && request[Count.self] == 2)
        #expect(copy[Who.self] == "bob" && copy[Count.self] == nil)
        copy[Who.self] = nil
        #expect(copy[Who.self] == nil)
        copy[Count.self] = 3
        #expect(copy[Count.self] == 3)
    }

    static func router() -> Router {
        var router = Router()
        router.filter = { request in
            request[Who.self] = request.headers["X-Who"] ?? "nobody"
            return nil
        }
        // "later" cannot be decided on the loop: the worker filter decides it, and may answer instead.
        router.workerFilter = { request in
            guard request[Who.self] == "later" else { return nil }
            if request.path.hasSuffix("refuse") { return .text(.forbidden, "refused on the worker") }
            request[Who.self] = "decided on the worker"
            request.responseHeaders.add("X-Filtered", "worker")
            return nil
        }
        router.add(.GET, "/who", fastPath: { request in
            request[Who.self] == "later" ? nil : .text(.ok, "loop: " + (request[Who.self] ?? "-"))
        }) { request in .text(.ok, "worker: " + (request[Who.self] ?? "-")) }
        router.add(.GET, "/who/refuse") { request in .text(.ok, "handler: " + (request[Who.self] ?? "-")) }
        router.addDeferred(.GET, "/who/deferred") { request, writer in writer.respond(.text(.ok, "deferred: " + (request[Who.self] ?? "-"))) }
        return router
    }

    @Test func filterValue_reachesFastPathWorkerAndDeferredHandlers() throws {
        try withServer(router: Self.router()) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /who HTTP/1.1\r\nHost: a\r\nX-Who: ann\r\n\r\n")
            #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "loop: ann")
            try client.send("GET /who HTTP/1.1\r\nHost: a\r\nX-Who: later\r\n\r\n")
            let worker = try client.readResponse()
            #expect(String(decoding: worker.body, as: UTF8.self) == "worker: decided on the worker")
            #expect(worker.header("X-Filtered") == "worker")
            try client.send("GET /who/deferred HTTP/1.1\r\nHost: a\r\nX-Who: later\r\n\r\n")
            #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "deferred: decided on the worker")
            try client.send("GET /who/refuse HTTP/1.1\r\nHost: a\r\nX-Who: later\r\n\r\n")
            let refused = try client.readResponse()
            #expect(refused.status == 403)
            #expect(String(decoding: refused.body, as: UTF8.self) == "refused on the worker")
        }
    }
}
