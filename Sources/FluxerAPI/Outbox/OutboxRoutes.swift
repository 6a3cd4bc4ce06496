import HTTPServer
import FluxerJSON

/// `GET /_dev/outbox?limit=N` (dev mode only): the newest messages, newest first, with the links and codes
/// lifted from their bodies. Outside dev mode the route is not registered at all (404).
package enum OutboxRoutes {
    /// Default and largest `limit`.
    package static let defaultLimit = 50
    package static let maxLimit = 500

    package static func register(on router: inout Router, context: AppContext) {
        guard context.config.dev else { return }
        router.api(.GET, "/_dev/outbox") { request in
            var limit = defaultLimit
            if let text = request.queryValue("limit") {
                guard text.utf8.count <= 3, let n = Int(text), (1...maxLimit).contains(n) else {
                    throw APIError.invalidField("limit", "Must be an integer from 1 to \(maxLimit).", code: "NUMBER_TYPE_OUT_OF_RANGE")
                }
                limit = n
            }
            let messages = try context.outbox.recent(limit: limit)
            return .json(.ok, JSONValue.object([("messages", .array(messages.map(\.json)))]), headers: ["Cache-Control": "no-store"])
        }
    }
}
