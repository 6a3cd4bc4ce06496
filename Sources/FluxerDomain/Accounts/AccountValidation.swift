/// Field rules of the real server's schemas (`UserValidators`, `AuthSchemas`), each returning a `FieldError`.
package enum AccountValidation {
    package static let passwordLength = 8...256
    package static let emailLength = 1...254
    package static let usernameLength = 1...32
    package static let globalNameLength = 1...32
    package static let minimumAgeYears = 13

    /// Length in UTF-16 code units, as the real server's zod `min`/`max` count.
    package static func jsLength(_ s: String) -> Int { s.utf16.count }

    package static func password(_ value: String?, path: String = "password") -> FieldError? {
        guard let value else { return FieldError(path: path, message: "This field is required.", code: "BASE_TYPE_REQUIRED") }
        guard passwordLength.contains(jsLength(value)) else {
            return FieldError(path: path, message: "Password must be between 8 and 256 characters.", code: "PASSWORD_LENGTH_INVALID")
        }
        return nil
    }

    /// A practical RFC 5321/5322 subset: one "@", a non-empty local part of printable ASCII without spaces,
    /// a dotted domain of letters, digits and hyphens (or an IDN in punycode).
    package static func email(_ value: String?, path: String = "email") -> FieldError? {
        guard let value else { return FieldError(path: path, message: "This field is required.", code: "BASE_TYPE_REQUIRED") }
        guard emailLength.contains(jsLength(value)) else {
            return FieldError(path: path, message: "Email must be between 1 and 254 characters.", code: "EMAIL_LENGTH_INVALID")
        }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let invalid = FieldError(path: path, message: "Invalid email address.", code: "INVALID_EMAIL_FORMAT")
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return invalid }
        let localOK = parts[0].utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "(") && $0 != UInt8(ascii: ")") && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: "\\") }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        let domainOK = labels.count >= 2 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == UInt8(ascii: "-") }
        } && labels.last!.utf8.count >= 2 && !labels.last!.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        return localOK && domainOK && !parts[0].hasPrefix(".") && !parts[0].hasSuffix(".") && !parts[0].contains("..") ? nil : invalid
    }

    /// `^[a-zA-Z0-9_]+$`, 1–32, not "everyone"/"here", nothing containing "fluxer".
    package static func username(_ value: String, path: String = "username") -> FieldError? {
        guard usernameLength.contains(value.utf8.count) else {
            return FieldError(path: path, message: "Username must be between 1 and 32 characters.", code: "USERNAME_LENGTH_INVALID")
        }
        guard value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }) else {
            return FieldError(path: path, message: "Username may contain only letters, digits and underscores.", code: "USERNAME_INVALID_CHARACTERS")
        }
        let lower = value.lowercased()
        if lower == "everyone" || lower == "here" {
            return FieldError(path: path, message: "This username is reserved.", code: "USERNAME_RESERVED_VALUE")
        }
        if lower.contains("fluxer") {
            return FieldError(path: path, message: "Username cannot contain reserved terms.", code: "USERNAME_CANNOT_CONTAIN_RESERVED_TERMS")
        }
        return nil
    }

    package static func globalName(_ value: String, path: String = "global_name") -> FieldError? {
        let trimmed = value.trimmingASCIIWhitespace()
        guard globalNameLength.contains(jsLength(trimmed)) else {
            return FieldError(path: path, message: "Display name must be between 1 and 32 characters.", code: "GLOBAL_NAME_LENGTH_INVALID")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) else {
            return FieldError(path: path, message: "Display name contains invalid characters.", code: "GLOBAL_NAME_LENGTH_INVALID")
        }
        if trimmed.lowercased().contains("fluxer") {
            return FieldError(path: path, message: "Display name cannot contain reserved terms.", code: "GLOBAL_NAME_CANNOT_CONTAIN_RESERVED_TERMS")
        }
        return nil
    }

    /// `YYYY-MM-DD`, a real date, not in the future, and at least the minimum age today.
    package static func dateOfBirth(_ value: String?, now: Int64, path: String = "date_of_birth") -> FieldError? {
        guard let value else { return FieldError(path: path, message: "This field is required.", code: "BASE_TYPE_REQUIRED") }
        guard let days = ISO8601.daysFromCivil(value) else {
            return FieldError(path: path, message: "Date of birth must be a valid YYYY-MM-DD date.", code: "INVALID_DATE_OF_BIRTH_FORMAT")
        }
        let today = now / 86_400_000
        let todayText = String(ISO8601.format(milliseconds: now).prefix(10))
        let year = Int(todayText.prefix(4))!
        let birthdayThisYear = "\(year - minimumAgeYears)" + String(todayText.dropFirst(4))
        let cutoff = ISO8601.daysFromCivil(birthdayThisYear) ?? ISO8601.daysFromCivil("\(year - minimumAgeYears)-02-28")!
        guard days <= today, days <= cutoff, value >= "1900-01-01" else {
            return FieldError(path: path, message: "You must be at least \(minimumAgeYears) years old.", code: "MUST_BE_MINIMUM_AGE")
        }
        return nil
    }

    /// A username derived from a display name or email when none was given: letters, digits and underscores.
    package static func derivedUsername(globalName: String?, email: String?) -> String {
        let source = globalName ?? email.map { String($0.split(separator: "@").first ?? "") } ?? ""
        var out = String(String.UnicodeScalarView(source.unicodeScalars.compactMap { s in
            if s.isASCII, s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" { return s }
            if s == " " || s == "." || s == "-" { return "_" }
            return nil
        }).prefix(32))
        if out.lowercased().contains("fluxer") { out = out.lowercased().replacing("fluxer", with: "") }
        if out.isEmpty || out.lowercased() == "everyone" || out.lowercased() == "here" { out = "user" }
        return out
    }
}
