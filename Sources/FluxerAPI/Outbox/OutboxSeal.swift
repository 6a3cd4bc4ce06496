import FluxerCrypto
import FluxerDomain

/// Seals outbox bodies at rest with a key derived from the server secret. A body holds what the mail or text
/// is for (a password-reset link, an email-verification link, an SMS code) and waits in the database until it
/// is delivered; sealed, a copy of the database alone (a backup, a leaked file) does not hand over accounts.
/// The sealed form is `sealed:v1:` + base64url(nonce ‖ XSalsa20-Poly1305 box); bodies written before sealing
/// existed, and the constant redaction text, are read back unchanged.
public struct OutboxSeal: Sendable {
    package static let prefix = "sealed:v1:"
    /// What a reader shows for a body it cannot open (another server key).
    public static let unreadable = "[sealed with another server key]"
    private let box: SecretBox

    /// The seal of the server whose secret is `secret`.
    public init(secret: [UInt8]) {
        box = SecretBox(key: SecretBox.deriveKey(from: secret, context: "outbox/body"))
    }

    /// The stored form of `body`.
    package func seal(_ body: String) -> String {
        Self.prefix + Base64URL.encode(box.seal(Array(body.utf8)))
    }

    /// The body a stored value holds; nil when it is sealed and this key cannot open it.
    public func open(_ stored: String) -> String? {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        guard let sealed = Base64URL.decode(String(stored.dropFirst(Self.prefix.count))), let plain = box.open(sealed) else {
            return nil
        }
        return String(decoding: plain, as: UTF8.self)
    }
}

extension StoredOutboxMessage {
    /// The message with its body opened by `seal` (`OutboxSeal.unreadable` when it cannot be; the body stays
    /// sealed when `seal` is nil: a reader without the server key).
    package func opened(with seal: OutboxSeal?) -> StoredOutboxMessage {
        var message = self
        if let seal {
            message.body = seal.open(body) ?? OutboxSeal.unreadable
        } else if body.hasPrefix(OutboxSeal.prefix) {
            message.body = OutboxSeal.unreadable
        }
        return message
    }
}
