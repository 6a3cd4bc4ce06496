import FluxerCrypto
import Testing

/// Reference Argon2id string (argon2 reference implementation, password "password", salt "somesalt").
private let phcReference = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

@Test func passwordHasher_roundTrip() throws {
    let encoded = try PasswordHasher.fast.hash("correct horse battery staple")
    #expect(encoded.hasPrefix("$argon2id$v=19$m=8,t=1,p=1$"))
    #expect(PasswordHasher.fast.verify("correct horse battery staple", against: encoded))
}

@Test func passwordHasher_wrongPasswordFails() throws {
    let encoded = try PasswordHasher.fast.hash("hunter2")
    #expect(!PasswordHasher.fast.verify("hunter3", against: encoded))
    #expect(!PasswordHasher.fast.verify("", against: encoded))
    #expect(!PasswordHasher.fast.verify("Hunter2", against: encoded))
}

@Test func passwordHasher_saltsAreRandom() throws {
    #expect(try PasswordHasher.fast.hash("same") != PasswordHasher.fast.hash("same"))
}

@Test func passwordHasher_passwordWithNULUsesFullLength() throws {
    let encoded = try PasswordHasher.fast.hash("a\u{0}b")
    #expect(PasswordHasher.fast.verify("a\u{0}b", against: encoded))
    #expect(!PasswordHasher.fast.verify("a", against: encoded))
    #expect(!PasswordHasher.fast.verify("a\u{0}c", against: encoded))
}

@Test func passwordHasher_emptyAndUnicodePasswords() throws {
    let empty = try PasswordHasher.fast.hash("")
    #expect(PasswordHasher.fast.verify("", against: empty))
    let unicode = try PasswordHasher.fast.hash("pässwörd🔑")
    #expect(PasswordHasher.fast.verify("pässwörd🔑", against: unicode))
    #expect(!PasswordHasher.fast.verify("passwörd🔑", against: unicode))
}

@Test func passwordHasher_verifiesPHCReferenceString() {
    #expect(PasswordHasher.fast.verify("password", against: phcReference))
    #expect(!PasswordHasher.fast.verify("Password", against: phcReference))
}

@Test func passwordHasher_malformedStringsFail() throws {
    let valid = try PasswordHasher.fast.hash("password")
    let malformed = [
        "", "password", "$argon2id$", "$argon2id$v=19$m=8,t=1,p=1$",
        valid + "\u{0}", valid + "\u{0}garbage",
        valid.replacingFirst("$argon2id$", with: "$argon2xx$"),
        valid.replacingFirst("v=19", with: "v=99"),
        "$argon2id$v=19$m=8,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$!!!",
        "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        String(repeating: "$", count: 500),
    ]
    for encoded in malformed {
        #expect(!PasswordHasher.fast.verify("password", against: encoded), "\(encoded.debugDescription)")
        #expect(PasswordHasher.fast.needsRehash(encoded), "\(encoded.debugDescription)")
    }
}

@Test func passwordHasher_tamperedHashPayloadFails() throws {
    let valid = try PasswordHasher.fast.hash("password")
    let tampered = [
        String(valid.dropLast(5)), valid + "A",
        String(valid.dropLast()) + (valid.hasSuffix("A") ? "B" : "A"),
    ]
    for encoded in tampered {
        #expect(!PasswordHasher.fast.verify("password", against: encoded), "\(encoded)")
    }
}

@Test func passwordHasher_needsRehashMatchesParameters() throws {
    let fastHash = try PasswordHasher.fast.hash("password")
    #expect(!PasswordHasher.fast.needsRehash(fastHash))
    #expect(PasswordHasher.production.needsRehash(fastHash))
    #expect(PasswordHasher(opsLimit: 2, memLimitBytes: 8192).needsRehash(fastHash))
    #expect(PasswordHasher(opsLimit: 1, memLimitBytes: 16384).needsRehash(fastHash))
    #expect(PasswordHasher.fast.needsRehash(phcReference))
    #expect(!PasswordHasher(opsLimit: 2, memLimitBytes: 65536 * 1024).needsRehash(phcReference))
}

@Test func passwordHasher_productionParameters() throws {
    #expect(PasswordHasher.production.opsLimit == 3)
    #expect(PasswordHasher.production.memLimitBytes == 64 * 1024 * 1024)
    let encoded = try PasswordHasher.production.hash("password")
    #expect(encoded.hasPrefix("$argon2id$v=19$m=65536,t=3,p=1$"))
    #expect(PasswordHasher.production.verify("password", against: encoded))
    #expect(!PasswordHasher.production.needsRehash(encoded))
}

@Test func passwordHasher_opsLimitBelowMinimumTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = PasswordHasher(opsLimit: 0, memLimitBytes: 65536)
    }
}

@Test func passwordHasher_memLimitBelowMinimumTraps() async {
    await #expect(processExitsWith: .failure) {
        _ = PasswordHasher(opsLimit: 1, memLimitBytes: 1024)
    }
}

private extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
