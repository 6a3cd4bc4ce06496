import HTTPClient
import FluxerCrypto
import FluxerDomain
import FluxerJSON

/// `outbox.driver = "webhook"`: POSTs each message as JSON `{id, channel, kind, to, subject, body, created_at}`
/// to the configured URL, signed in `X-Fluxer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<raw body>")>` (the receiver recomputes it and rejects old `t` to stop replays). Any 2xx is
/// delivered; any other status, a network error or the 10 s timeout is a failure the outbox retries.
public struct WebhookOutboxDriver: OutboxDriver {
    package let url: String?
    package let secret: [UInt8]
    package let timeoutMilliseconds: Int
    /// The operator's own receiver: any address (often on a private network), plain http allowed.
    package let client: HTTPClient
    package let clock: @Sendable () -> Int64

    /// The signature header.
    public static let signatureHeader = "X-Fluxer-Signature"

    /// A driver posting to `url` (nil when it does not parse: every delivery then fails, and config
    /// validation refuses such a URL before we get here).
    public init(url: String, secret: [UInt8], timeoutMilliseconds: Int = 10_000,
                clock: @escaping @Sendable () -> Int64 = Clock.wallMilliseconds) {
        self.url = HTTPClientRequest.host(of: url) == nil ? nil : url
        self.secret = secret
        self.timeoutMilliseconds = timeoutMilliseconds
        client = HTTPClient(policy: HTTPClientPolicy(connectTimeout: .milliseconds(min(5_000, timeoutMilliseconds)),
                                                     totalTimeout: .milliseconds(timeoutMilliseconds), allowsPlainHTTP: true,
                                                     addressRule: .any))
        self.clock = clock
    }

    /// Posts the message.
    public func deliver(_ message: StoredOutboxMessage) -> DeliveryResult {
        guard let url else { return .failed(reason: "webhook_url is not a valid http(s) URL") }
        let body = Self.payload(message).bytes
        let timestamp = clock() / 1000
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("User-Agent", "fluxer-auth/\(FluxerAuthVersion.string)"),
            (Self.signatureHeader, Self.signature(secret: secret, timestamp: timestamp, body: body)),
        ]
        do {
            let response = try client.send(HTTPClientRequest(method: "POST", url: url, headers: headers, body: body))
            // The response body is the receiver's business and may echo ours: only the status is kept.
            return (200..<300).contains(response.status) ? .delivered : .failed(reason: "http status \(response.status)")
        } catch {
            return .failed(reason: error.description)
        }
    }

    /// The JSON posted for `message`.
    package static func payload(_ message: StoredOutboxMessage) -> JSONValue {
        .object([
            ("id", .string(String(message.id))),
            ("channel", .string(message.channel.rawValue)),
            ("kind", .string(message.kind)),
            ("to", .string(message.recipient)),
            ("subject", message.subject.map(JSONValue.string) ?? .null),
            ("body", .string(message.body)),
            ("created_at", .string(ISO8601.format(milliseconds: message.createdAt))),
        ])
    }

    /// `t=<timestamp>,v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
    public static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC.sha256(key: secret, message: Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=" + Hex.encode(mac)
    }
}
