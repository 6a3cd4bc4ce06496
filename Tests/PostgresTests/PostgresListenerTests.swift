import Glibc
import Postgres
import PostgresTestSupport
import Synchronization
import Testing

@Suite struct PostgresListenerTests {
    /// Collects a listener's events.
    final class Recorder: Sendable {
        let events = Mutex<[PostgresListener.Event]>([])

        func record(_ event: PostgresListener.Event) { events.withLock { $0.append(event) } }

        var payloads: [String] {
            events.withLock { events in
                events.compactMap { if case .notification(let n) = $0 { n.payload } else { nil } }
            }
        }

        func count(_ wanted: PostgresListener.Event) -> Int { events.withLock { $0.filter { $0 == wanted }.count } }

        var disconnects: Int {
            events.withLock { $0.filter { if case .disconnected = $0 { true } else { false } }.count }
        }
    }

    @Test func deliversCommittedNotificationsOnly() throws {
        try withDatabase { db, test throws in
            let recorder = Recorder()
            let listener = try PostgresListener(
                configuration: test.configuration(), channels: ["cache_invalidation", "Other \"Quoted\""]
            ) { recorder.record($0) }
            defer { listener.stop() }
            #expect(waitUntil(milliseconds: 5000) { recorder.count(.listening(reconnected: false)) == 1 })

            struct Abort: Error {}
            _ = try? db.write { c throws in
                try c.notify(channel: "cache_invalidation", payload: "rolled back")
                throw Abort()
            }
            try db.write { c throws in
                try c.notify(channel: "cache_invalidation", payload: "user:42")
                try c.notify(channel: "not_listened", payload: "elsewhere")
            }
            try db.write { try $0.notify(channel: "Other \"Quoted\"", payload: "second") }
            #expect(waitUntil(milliseconds: 5000) { recorder.payloads.count >= 2 })
            #expect(recorder.payloads == ["user:42", "second"])
            let first = recorder.events.withLock { events in
                events.compactMap { if case .notification(let n) = $0 { n } else { nil } }.first
            }
            #expect(first?.channel == "cache_invalidation")
            #expect((first?.senderProcessID ?? 0) > 0)
        }
    }

    @Test func reconnectsAfterItsBackendIsTerminated() throws {
        try withDatabase { db, test throws in
            let recorder = Recorder()
            let listener = try PostgresListener(configuration: test.configuration(), channels: ["inval"]) {
                recorder.record($0)
            }
            defer { listener.stop() }
            #expect(waitUntil(milliseconds: 5000) { listener.backendProcessID != nil })
            let first = try #require(listener.backendProcessID)
            try test.cluster.terminate(backend: first)
            #expect(waitUntil(milliseconds: 5000) { recorder.count(.listening(reconnected: true)) == 1 })
            #expect(recorder.disconnects >= 1)
            #expect(listener.backendProcessID != first)

            try db.write { try $0.notify(channel: "inval", payload: "after reconnect") }
            #expect(waitUntil(milliseconds: 5000) { recorder.payloads == ["after reconnect"] })
        }
    }

    @Test func keepsTryingWhileTheServerIsUnreachable() throws {
        let port = try freeLoopbackPort()
        let configuration = try PostgresConfiguration(
            url: "postgresql://postgres@127.0.0.1:\(port)/db?sslmode=disable", connectTimeoutSeconds: 2)
        let recorder = Recorder()
        let listener = try PostgresListener(configuration: configuration, channels: ["inval"]) { recorder.record($0) }
        #expect(waitUntil(milliseconds: 3000) { recorder.disconnects >= 2 })
        let start = monotonicMilliseconds()
        listener.stop()
        listener.stop()
        #expect(monotonicMilliseconds() - start < 1000)  // stop wakes the reconnect wait at once
        let settled = recorder.events.withLock { $0.count }
        usleep(200_000)
        #expect(recorder.events.withLock { $0.count } == settled)  // nothing after stop returned
    }

    @Test func refusesBadChannelNames() throws {
        let configuration = try PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/db")
        for channels in [[], [""], [String(repeating: "c", count: 64)], ["nul\u{0}"]] {
            let error = #expect(throws: PostgresError.self) {
                try PostgresListener(configuration: configuration, channels: channels) { _ in }
            }
            #expect(error?.kind == .invalidArgument)
        }
    }
}
