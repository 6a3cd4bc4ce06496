import FluxerCrypto

/// Keys derived from the server secret for MFA material: a secretbox for TOTP secrets at rest, and HMAC keys
/// for short codes (backup and SMS codes are low-entropy, so they are keyed-hashed: a database leak alone does
/// not let anyone test guesses offline).
package struct MFAKeys: Sendable {
    package let totpBox: SecretBox
    package let codeKey: [UInt8]
    package let sudoKey: [UInt8]

    package init(secret: [UInt8]) {
        totpBox = SecretBox(key: SecretBox.deriveKey(from: secret, context: "mfa/totp-secret"))
        codeKey = SecretBox.deriveKey(from: secret, context: "mfa/code-hash")
        sudoKey = SecretBox.deriveKey(from: secret, context: "sudo/jwt")
    }

    /// Keyed hash of a short code, after normalisation (lower-case, no spaces or dashes).
    package func codeHash(_ code: String, purpose: String) -> [UInt8] {
        let normalized = code.lowercased().filter { $0 != " " && $0 != "-" }
        return HMAC.sha256(key: codeKey, message: Array((purpose + "|" + normalized).utf8))
    }
}

/// Backup codes: 10 of `xxxx-xxxx` from `[a-z0-9]` (the real server's alphabet), single use, stored keyed-hashed.
package enum BackupCodes {
    package static let count = 10
    package static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    package static func generate() -> [String] {
        (0..<count).map { _ in
            let chars = (0..<8).map { _ in alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))] }
            return String(chars[0..<4]) + "-" + String(chars[4..<8])
        }
    }

    /// Whether `code` has the backup-code shape (so it is not mistaken for a TOTP code).
    package static func isWellFormed(_ code: String) -> Bool {
        let plain = code.lowercased().filter { $0 != "-" }
        return plain.count == 8 && plain.allSatisfy { alphabet.contains($0) } && !plain.allSatisfy(\.isNumber)
    }
}

/// Six-digit codes sent by SMS.
package enum SMSCode {
    package static let lifetime: Int64 = 10 * 60_000
    package static let maxFailures = 5

    package static func generate() -> String {
        let n = SecureRandom.uniform(1_000_000)
        let s = String(n)
        return String(repeating: "0", count: 6 - s.count) + s
    }

    package static func isWellFormed(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// Phone numbers in E.164: `+`, a non-zero country digit, 7–15 digits in all.
package enum PhoneNumber {
    package static func isValid(_ phone: String) -> Bool {
        let digits = phone.utf8.dropFirst()
        return phone.hasPrefix("+") && (7...15).contains(digits.count) && digits.first != UInt8(ascii: "0")
            && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `****` + the last four digits, as the real server's `sms_phone_hint`.
    package static func hint(_ phone: String?) -> String? {
        guard let phone, phone.count >= 4 else { return nil }
        return "****" + phone.suffix(4)
    }
}
