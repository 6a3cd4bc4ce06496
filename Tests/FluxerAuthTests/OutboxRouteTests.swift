import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp

@Suite struct OutboxRouteTests {
    @Test func devOutbox_listsNewestFirst_withLinksAndCodes() throws {
        let app = try RunningApp { $0.dev = true }
        defer { app.stop() }
        let first = try app.app.context.outbox.send(.make(kind: "verify_email", body: "Verify: https://auth.example.com/verify?token=vt_123"))
        let second = try app.app.context.outbox.send(.make(channel: .sms, recipient: "+15551234567", kind: "sms_code", subject: nil,
                                                           body: "Your Fluxer code is 731904"))
        // Delivered by the log driver; dev mode keeps the body.
        #expect(eventually { (try? app.app.context.outbox.recent(limit: 10))?.allSatisfy(\.isDelivered) == true })

        let response = TestClient.request(port: app.port, "GET", "/_dev/outbox")
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.map { $0["id"] as? String } == [String(second), String(first)])
        #expect(messages[0]["codes"] as? [String] == ["731904"])
        #expect(messages[0]["to"] as? String == "+15551234567")
        #expect(messages[0]["subject"] is NSNull)
        #expect(messages[1]["links"] as? [String] == ["https://auth.example.com/verify?token=vt_123"])
        #expect(messages[1]["codes"] as? [String] == ["vt_123"])
        #expect(messages[1]["body"] as? String == "Verify: https://auth.example.com/verify?token=vt_123")
        #expect(messages[1]["delivered"] as? Bool == true)

        let limited = TestClient.request(port: app.port, "GET", "/_dev/outbox?limit=1")
        #expect(limited.status == 200)
        #expect(limited.body.contains(String(second)) && !limited.body.contains(String(first)))
        for bad in ["0", "501", "abc", "-1"] {
            #expect(TestClient.request(port: app.port, "GET", "/_dev/outbox?limit=\(bad)").status == 400)
        }
        // The log line is masked and never carries the body.
        let log = app.log()
        #expect(log.contains("to=a***@example.com") && log.contains("to=****4567"))
        #expect(!log.contains("731904") && !log.contains("vt_123") && !log.contains("alice@"))
    }

    @Test func devOutbox_absentInProduction_bodyRedactedAfterDelivery() throws {
        let app = try RunningApp { $0.dev = false }
        defer { app.stop() }
        let id = try app.app.context.outbox.send(.make())
        #expect(eventually { (try? app.app.context.outbox.recent(limit: 1))?.first?.isDelivered == true })
        #expect(try app.app.context.outbox.recent(limit: 1).first?.id == id)
        #expect(try app.app.context.outbox.recent(limit: 1).first?.body == "[redacted after delivery]")
        #expect(TestClient.request(port: app.port, "GET", "/_dev/outbox").status == 404)
        #expect(TestClient.request(port: app.port, "GET", "/api/v1/_dev/outbox").status == 404)
        #expect(!app.log().contains("tok_ABC"))
    }
}
