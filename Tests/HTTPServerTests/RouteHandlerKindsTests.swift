#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPServer
import Testing

/// Deferred handlers (answered from another thread) and event-loop fast paths.
@Suite struct RouteHandlerKindsTests {
    static func router(fastHits: FastPathCounter) -> Router {
        var router = Router()
        router.addDeferred(.GET, "/later/:ms") { request, writer in
            let ms = UInt32(request.parameters["ms"] ?? "0") ?? 0
            _ = OSThread(name: "later") {
                usleep(ms * 1000)
                writer.respond(.text(.ok, "later \(ms)"))
                writer.respond(.text(.ok, "ignored second answer"))
            }
        }
        router.addDeferred(.GET, "/forgotten") { _, _ in }
        router.addDeferred(.GET, "/throws") { _, writer in
            writer.respond { throw SecretFailure() }
        }
        router.add(.GET, "/cached/:key", fastPath: { request in
            guard request.parameters["key"] == "hot" else { return nil }
            fastHits.increment()
            return .text(.ok, "from the loop")
        }) { _ in .text(.ok, "from a worker") }
        return router
    }

    @Test func deferred_answersFromAnotherThread_exactlyOnce_inPipelineOrder() throws {
        let counter = FastPathCounter()
        try withServer(router: Self.router(fastHits: counter)) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /later/150 HTTP/1.1\r\nHost: a\r\n\r\nGET /later/1 HTTP/1.1\r\nHost: a\r\n\r\n")
            let first = try client.readResponse()
            let second = try client.readResponse()
            #expect(first.status == 200 && String(decoding: first.body, as: UTF8.self) == "later 150")
            #expect(second.status == 200 && String(decoding: second.body, as: UTF8.self) == "later 1")
        }
    }

    @Test func deferred_droppedWriter_isABare500_notAHang() throws {
        let counter = FastPathCounter()
        try withServer(router: Self.router(fastHits: counter)) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /forgotten HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 500)
            #expect(String(decoding: response.body, as: UTF8.self).contains("INTERNAL_SERVER_ERROR"))
            try client.send("GET /throws HTTP/1.1\r\nHost: a\r\n\r\n")
            let thrown = try client.readResponse()
            #expect(thrown.status == 500)
            #expect(!String(decoding: thrown.body, as: UTF8.self).contains("hunter2"))
        }
    }

    @Test func fastPath_hitAnswersOnTheLoop_missFallsBackToTheWorker() throws {
        let counter = FastPathCounter()
        try withServer(router: Self.router(fastHits: counter)) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /cached/hot HTTP/1.1\r\nHost: a\r\n\r\nGET /cached/cold HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "from the loop")
            #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "from a worker")
            #expect(counter.value == 1)
        }
    }
}

final class FastPathCounter: @unchecked Sendable {
    // Invariant: `count` is only touched under `lock`.
    private let lock = ConditionLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
