/// PW-03: what a newly chosen password must not be (NIST SP 800-63B §3.1.1.2: "passwords obtained from previous
/// breach corpuses, dictionary words, repetitive or sequential characters, context-specific words"; ASVS 6.2.4,
/// 6.2.11, 6.2.12). Applied when a password is set (register, reset, CLI, seed), never at login, so an old
/// password keeps working until it is changed. The real server checks HIBP online and answers
/// `PASSWORD_IS_TOO_COMMON`; this server works offline, so the list is built in and the code is the same.
package enum PasswordPolicy {
    /// The built-in list (resources/common-passwords.txt), lowercase.
    package static let blocklist: Set<Substring> = {
        var set = Set<Substring>(minimumCapacity: CommonPasswords.count)
        for entry in CommonPasswords.text.split(separator: "\n") { set.insert(entry) }
        return set
    }()

    /// The service's own names: "fluxer2024!" is as guessable here as "password".
    package static let serviceWords: Set<String> = ["fluxer", "fluxerauth", "fluxerapp"]

    package static func tooCommon(_ path: String, _ message: String) -> FieldError {
        FieldError(path: path, message: message, code: "PASSWORD_IS_TOO_COMMON")
    }

    /// The reason `password` may not be chosen, or nil. `username` and `email` are the account's own (context
    /// words). Length is `AccountValidation.password`'s job and is checked first by every caller.
    package static func check(_ password: String, username: String?, email: String?, path: String = "password") -> FieldError? {
        let lower = password.lowercased()
        let stem = Self.stem(lower)
        if blocklist.contains(lower[...]) || (stem.count >= 8 && blocklist.contains(stem[...])) {
            return tooCommon(path, "This password is too common. Choose a less guessable one.")
        }
        if isRepetitiveOrSequential(lower) {
            return tooCommon(path, "This password is a run of repeated or sequential characters.")
        }
        // Context words: the password, lowercased and stripped of symbols and of trailing digits, may not be
        // the service name, the username, the email's local part or the whole email. A passphrase that merely
        // contains one of them is allowed.
        let core = Self.core(lower)
        let coreStem = String(core.reversed().drop { $0.isASCII && $0.isNumber }.reversed())
        var words = Array(serviceWords)
        if let username, username.count >= 3 { words.append(username.lowercased()) }
        if let email {
            let lowerEmail = email.lowercased()
            words.append(lowerEmail)
            if let local = lowerEmail.split(separator: "@").first, local.count >= 3 { words.append(String(local)) }
        }
        // Each word as written and without its symbols ("alice.smith" → "alicesmith").
        let context = Set(words + words.map(Self.core).filter { $0.count >= 3 })
        if context.contains(lower) || context.contains(core) || (!coreStem.isEmpty && context.contains(coreStem)) {
            return tooCommon(path, "This password is too close to your username, email or the service name.")
        }
        return nil
    }

    /// Letters and digits only ("Alice_2024!" → "alice2024" once lowercased).
    package static func core(_ lower: String) -> String {
        String(lower.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(Character.init))
    }

    /// The password without trailing digits and punctuation ("sunshine2024!" → "sunshine").
    package static func stem(_ lower: String) -> String {
        String(lower.reversed().drop { $0.isASCII && ($0.isNumber || $0.isPunctuation || $0.isSymbol) }.reversed())
    }

    /// One character repeated ("aaaaaaaa"), a run up or down the code points ("12345678", "hgfedcba"), or a block
    /// of up to four characters repeated ("abcabcab", "12121212").
    package static func isRepetitiveOrSequential(_ lower: String) -> Bool {
        let scalars = Array(lower.unicodeScalars.map(\.value))
        guard scalars.count >= 2 else { return true }
        let step = Int64(scalars[1]) - Int64(scalars[0])
        if abs(step) <= 1, zip(scalars, scalars.dropFirst()).allSatisfy({ Int64($1) - Int64($0) == step }) { return true }
        for period in 1...max(1, min(4, scalars.count / 2)) {
            if scalars.indices.allSatisfy({ scalars[$0] == scalars[$0 % period] }) { return true }
        }
        return false
    }
}

extension AccountValidation {
    /// A password being set: the length rule, then (unless `security.password_blocklist = false`) PW-03.
    package static func newPassword(_ value: String?, username: String?, email: String?, blocklist: Bool, path: String = "password") -> FieldError? {
        if let e = password(value, path: path) { return e }
        guard blocklist, let value else { return nil }
        return PasswordPolicy.check(value, username: username, email: email, path: path)
    }
}
