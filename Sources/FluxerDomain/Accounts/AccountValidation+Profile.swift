/// Field rules of the profile updates (`PATCH /users/@me`, `PATCH /oauth2/applications/{id}/bot`) and of the
/// username suggestions, after the real server's schemas (`UserUpdateRequest`, `BotProfileUpdateRequest`,
/// `UsernameSuggestionUtils`).
extension AccountValidation {
    /// A user's bio (real server: at most 320 characters).
    package static let userBioLength = 0...320
    /// A bot's bio (real server: at most 1024 characters).
    package static let botBioLength = 0...1024

    /// `^\d{1,4}$` as a number; a field error otherwise.
    package static func discriminator(_ value: String, path: String = "discriminator") -> (value: Int?, error: FieldError?) {
        guard (1...4).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value) else {
            return (nil, FieldError(path: path, message: "The discriminator must be 1 to 4 digits.", code: "INVALID_FORMAT"))
        }
        return (n, nil)
    }

    /// A bio of at most `length.upperBound` UTF-16 units without control characters other than line breaks.
    package static func bio(_ value: String, length: ClosedRange<Int>, path: String = "bio") -> FieldError? {
        guard length.contains(jsLength(value)) else {
            return FieldError(path: path, message: "The bio must be at most \(length.upperBound) characters.", code: "STRING_LENGTH_INVALID")
        }
        let bad = value.unicodeScalars.contains { s in
            s.properties.generalCategory == .control && s != "\n" && s != "\r" && s != "\t"
        }
        return bad ? FieldError(path: path, message: "The bio contains invalid characters.", code: "INVALID_FORMAT") : nil
    }

    /// The username a display name suggests (real server: `deriveUsernameFromDisplayName`): runs of spaces, dots
    /// and dashes become one underscore, other characters than ASCII letters, digits and underscores go, at most
    /// 32 remain; nil when nothing valid is left (this server does not transliterate, so a name without ASCII
    /// letters or digits suggests nothing).
    package static func usernameCandidate(from globalName: String) -> String? {
        var out: [UInt8] = []
        var pendingSeparator = false
        for byte in globalName.trimmingASCIIWhitespace().utf8 {
            let isWord = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F
            if byte == 0x20 || byte == 0x2E || byte == 0x2D || byte == 0x09 {
                pendingSeparator = true
            } else if isWord {
                if pendingSeparator && !out.isEmpty { out.append(0x5F) }
                pendingSeparator = false
                out.append(byte)
            }
        }
        let candidate = String(decoding: out.prefix(usernameLength.upperBound), as: UTF8.self)
        return username(candidate) == nil ? candidate : nil
    }
}
