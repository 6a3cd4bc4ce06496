/// Masks a recipient for logs: `alice@example.com` → `a***@example.com`, `+15551234567` → `****4567`.
package enum RecipientMask {
    package static func mask(_ recipient: String, channel: OutboxMessage.Channel) -> String {
        switch channel {
        case .email:
            guard let at = recipient.lastIndex(of: "@") else { return "***" }
            let local = recipient[..<at]
            let domain = recipient[recipient.index(after: at)...]
            return (local.first.map(String.init) ?? "") + "***@" + domain
        case .sms:
            let digits = recipient.filter(\.isASCII).filter(\.isNumber)
            return digits.count >= 8 ? "****" + digits.suffix(4) : "****"
        }
    }
}
