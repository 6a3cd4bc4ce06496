import Dispatch
import FluxerCrypto
import FluxerDomain
import FluxerPersistence
import Synchronization
import Testing

// The storage conformance suite (fosite's pattern): every store protocol of FluxerDomain held to its contract on a
// freshly migrated SQLite file and a freshly migrated PostgreSQL database, by the same tests. The checks are
// written against the protocols (`some SessionStorage`), not the implementation, so a second implementation of a
// protocol would run them unchanged; today each protocol has one, dialect-aware (see StoreTransaction).

extension Backend {
    /// A fresh database on this backend with the whole product schema (the built-in migrations).
    func migrated() throws -> DataStore {
        let store = try open()
        _ = try SchemaMigrator(postgres: self == .postgres, migrationsDirectory: "").migrate(store)
        return store
    }
}

private let now: Int64 = 1_800_000_000_000

/// A user to hang rows on.
private func makeUser<U: UserStorage>(_: U.Type, id: UInt64, email: String? = nil, in db: SQLTransaction) throws -> User
where U.Transaction == SQLTransaction {
    try U.insert(NewUser(id: id, username: "user\(id)", email: email, passwordHash: "h", createdAt: now), in: db)
}

/// Runs `attempt` on eight threads at once, each in its own write transaction; returns how many won.
private func race(_ store: DataStore, _ attempt: @Sendable @escaping (SQLTransaction) throws -> Bool) -> (wins: Int, errors: Int) {
    let wins = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
        do {
            if try store.write(lockingRows: true, attempt) { wins.add(1, ordering: .relaxed) }
        } catch {
            errors.add(1, ordering: .relaxed)
        }
    }
    return (wins.load(ordering: .relaxed), errors.load(ordering: .relaxed))
}

@Suite struct StoreConformanceTests {
    // MARK: UserStorage

    @Test(arguments: Backend.allCases) func users_insertFindAndEmailUniqueness(_ backend: Backend) throws {
        try users(UserStore.self, backend)
    }

    private func users<U: UserStorage>(_ store: U.Type, _ backend: Backend) throws where U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let user = try data.write { try makeUser(U.self, id: 10, email: "Ada@Example.com", in: $0) }
        #expect(user.id == 10 && user.username == "user10" && (1...9999).contains(user.discriminator))
        try data.read { db throws in
            #expect(try U.find(email: "ada@example.COM", in: db)?.id == 10, "email lookups ignore ASCII case")
            #expect(try U.id(email: "ADA@example.com", in: db) == 10)
            #expect(try U.find(id: 11, in: db) == nil)
        }
        // A second account with the same address (any case) is refused, and nothing is written.
        #expect(throws: UserInsertError.emailTaken) {
            try data.write { _ = try makeUser(U.self, id: 11, email: "ADA@example.com", in: $0) }
        }
        #expect(try data.read { try U.find(id: 11, in: $0) } == nil)
        // Lockout round trip.
        try data.write { db in try U.setLockout(userID: 10, failures: 5, lockedUntil: now + 60_000, in: db) }
        #expect(try data.read { try U.lockedUntil(userID: 10, in: $0) } == now + 60_000)
        try data.write { db in try U.clearLockout(userID: 10, in: db) }
        #expect(try data.read { try U.lockedUntil(userID: 10, in: $0) } == nil)
    }

    // MARK: SessionStorage

    @Test(arguments: Backend.allCases) func sessions_createLookupRevoke(_ backend: Backend) throws {
        try sessions(SessionStore.self, UserStore.self, backend)
    }

    private func sessions<S: SessionStorage, U: UserStorage>(_: S.Type, _: U.Type, _ backend: Backend) throws
    where S.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let (a, b, other) = try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            _ = try makeUser(U.self, id: 2, in: db)
            return (try S.create(userID: 1, ip: "192.0.2.1", userAgent: "t", isDesktop: false, now: now, in: db),
                    try S.create(userID: 1, ip: nil, userAgent: nil, isDesktop: true, now: now + 1, in: db),
                    try S.create(userID: 2, ip: nil, userAgent: nil, isDesktop: false, now: now, in: db))
        }
        #expect(SessionToken.isWellFormed(Substring(a)) && a != b)
        try data.read { db throws in
            let (record, user) = try #require(try S.lookup(hash: SessionToken.hash(a), in: db))
            #expect(user.id == 1 && record.clientIP == "192.0.2.1" && !record.isDesktop)
            #expect(try S.list(userID: 1, in: db).count == 2)
            #expect(try S.lookup(hash: SessionToken.hash("flx_unknown"), in: db) == nil)
        }
        // Revoking by hash never touches another user's session.
        let removed = try data.write { try S.revoke(hashes: [SessionToken.hash(a), SessionToken.hash(other)], ofUser: 1, in: $0) }
        #expect(removed == 1)
        try data.read { db throws in
            #expect(try S.lookup(hash: SessionToken.hash(a), in: db) == nil)
            #expect(try S.lookup(hash: SessionToken.hash(other), in: db) != nil)
        }
        #expect(try data.write { try S.revokeAll(userID: 1, in: $0) } == 1)
        #expect(try data.write { try S.revoke(hash: SessionToken.hash(b), in: $0) } == false)
    }

    // MARK: EmailTokenStorage

    @Test(arguments: Backend.allCases) func emailTokens_singleUseUnderRace_andExpiry(_ backend: Backend) throws {
        try emailTokens(EmailTokenStore.self, UserStore.self, backend)
    }

    private func emailTokens<E: EmailTokenStorage, U: UserStorage>(_: E.Type, _: U.Type, _ backend: Backend) throws
    where E.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let live: [UInt8] = SHA256.hash(utf8: "live"), stale: [UInt8] = SHA256.hash(utf8: "stale")
        try data.write { db in
            _ = try makeUser(U.self, id: 1, email: "a@example.com", in: db)
            try E.insert(hash: live, userID: 1, purpose: "password_reset", email: "a@example.com", now: now, expiresAt: now + 1000, in: db)
            try E.insert(hash: stale, userID: 1, purpose: "password_reset", email: "a@example.com", now: now, expiresAt: now - 1, in: db)
        }
        #expect(try data.read { try E.passwordResetOwner(hash: live, now: now, in: $0) } == 1)
        #expect(try data.write { try E.consume(hash: live, purpose: "verify_email", now: now, in: $0) } == nil, "purpose is part of the key")
        let outcome = race(data) { db in try E.consume(hash: live, purpose: "password_reset", now: now, in: db) != nil }
        #expect(outcome.wins == 1 && outcome.errors == 0)
        // An expired token is spent all the same, and answers nothing.
        #expect(try data.write { try E.consume(hash: stale, purpose: "password_reset", now: now, in: $0) } == nil)
        #expect(try data.read { try E.passwordResetOwner(hash: stale, now: now - 10, in: $0) } == nil)
    }

    // MARK: OAuthStorage

    @Test(arguments: Backend.allCases) func oauth_codeSingleUse_refreshRotationOnce_familyRevocation(_ backend: Backend) throws {
        try oauth(OAuthStore.self, ApplicationStore.self, UserStore.self, backend)
    }

    private func oauth<O: OAuthStorage, A: ApplicationStorage, U: UserStorage>(_: O.Type, _: A.Type, _: U.Type, _ backend: Backend) throws
    where O.Transaction == SQLTransaction, A.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let keys = BotTokenKeyRing.derived(from: Array(repeating: 7, count: 32))
        let code = OAuthSecret.generate()
        try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            _ = try A.create(id: 100, ownerID: 1, name: "App", redirectURIs: ["https://app.example/cb"], botPublic: false,
                             botRequireCodeGrant: false, keys: keys, now: now, in: db)
            try O.insertCode(code, applicationID: 100, userID: 1, redirectURI: "https://app.example/cb", redirectGiven: true,
                             scopes: [.identify], challenge: nil, now: now, in: db)
        }
        let stored = try #require(try data.read { try O.findCode(code, in: $0) })
        #expect(stored.applicationID == 100 && stored.userID == 1 && stored.redirectURI == "https://app.example/cb")
        // Eight redemptions of one code at once: one wins (AC-02).
        let redeemed = race(data) { db in try O.markCodeUsed(code, familyID: nil, now: now, in: db) }
        #expect(redeemed.wins == 1 && redeemed.errors == 0)

        let tokens = try data.write { db in
            try O.createFamily(id: 5, applicationID: 100, userID: 1, scopes: [.identify], now: now, in: db)
            return try O.issue(familyID: 5, applicationID: 100, userID: 1, scopes: [.identify], grantEndsAt: now + 3_600_000, now: now, in: db)
        }
        let refreshHash = OAuthSecret.hash(tokens.refreshToken)
        let access = try #require(try data.read { try O.findToken(tokens.accessToken, in: $0) })
        #expect(access.kind == "access" && access.familyID == 5 && !access.familyRevoked && access.expiresAt <= now + 3_600_000)
        // Eight rotations of one refresh token at once: one wins (RT-03).
        let rotated = race(data) { db in try O.markRefreshUsed(refreshHash, now: now, in: db) }
        #expect(rotated.wins == 1 && rotated.errors == 0)
        // Revoking the family marks it and deletes its tokens, and names the user for cache invalidation.
        #expect(try data.write { try O.revokeFamily(5, reason: "reuse", now: now, in: $0) } == 1)
        try data.read { db throws in
            #expect(try O.findToken(tokens.accessToken, in: db) == nil)
            #expect(try O.findToken(hash: refreshHash, in: db) == nil)
        }
        #expect(try data.read { try O.findToken("not a token", in: $0) } == nil)
    }

    // MARK: ApplicationStorage

    @Test(arguments: Backend.allCases) func applications_secretsHashed_botTokenReset(_ backend: Backend) throws {
        try applications(ApplicationStore.self, UserStore.self, backend)
    }

    private func applications<A: ApplicationStorage, U: UserStorage>(_: A.Type, _: U.Type, _ backend: Backend) throws
    where A.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let keys = BotTokenKeyRing.derived(from: Array(repeating: 9, count: 32))
        let created = try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            return try A.create(id: 200, ownerID: 1, name: "My Bot", redirectURIs: [], botPublic: true, botRequireCodeGrant: false,
                                keys: keys, now: now, in: db)
        }
        #expect(created.bot.isBot && created.application.ownerID == 1)
        try data.read { db throws in
            #expect(try A.botForToken(hash: BotToken.storageHash(created.botToken), botID: 200, in: db)?.0.id == 200)
            #expect(try A.list(ownerID: 1, in: db).map(\.id) == [200] && A.count(ownerID: 1, in: db) == 1)
        }
        let fresh = try data.write { try A.resetBotToken(id: 200, keys: keys, now: now + 1, in: $0) }
        try data.read { db throws in
            #expect(try A.botForToken(hash: BotToken.storageHash(created.botToken), botID: 200, in: db) == nil, "the old token is dead")
            #expect(try A.botForToken(hash: BotToken.storageHash(fresh), botID: 200, in: db) != nil)
        }
        // Deleting the application deletes its bot user and everything hanging off it.
        try data.write { try A.delete(id: 200, in: $0) }
        #expect(try data.read { try A.find(id: 200, in: $0) } == nil)
        #expect(try data.read { try U.find(id: 200, in: $0) } == nil)
    }

    // MARK: MFAStorage

    @Test(arguments: Backend.allCases) func mfa_ticketsBackupCodesAndSMSCodes_spentOnce(_ backend: Backend) throws {
        try mfa(MFAStore.self, UserStore.self, backend)
    }

    private func mfa<M: MFAStorage, U: UserStorage>(_: M.Type, _: U.Type, _ backend: Backend) throws
    where M.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let ticket: [UInt8] = SHA256.hash(utf8: "ticket"), backup: [UInt8] = SHA256.hash(utf8: "backup")
        try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            try M.insertTicket(hash: ticket, userID: 1, now: now, expiresAt: now + 300_000, in: db)
            try M.replaceBackupCodes(userID: 1, codeHashes: [backup, SHA256.hash(utf8: "other")], in: db)
            try M.insertSMSCode(userID: 1, purpose: "login", scope: "t", codeHash: SHA256.hash(utf8: "123456"), now: now,
                                expiresAt: now + 60_000, failedAttempts: 0, in: db)
        }
        try data.write { db in try M.recordTicketFailure(hash: ticket, in: db) }
        #expect(try data.read { try M.ticket(hash: ticket, in: $0) }?.failedAttempts == 1)
        #expect(race(data) { db in try M.deleteTicket(hash: ticket, in: db) }.wins == 1)
        #expect(race(data) { db in try M.consumeBackupCode(userID: 1, codeHash: backup, now: now, in: db) }.wins == 1)
        #expect(try data.write { try M.consumeBackupCode(userID: 2, codeHash: SHA256.hash(utf8: "other"), now: now, in: $0) } == false,
                "another user's code is not this user's")
        let sms = try #require(try data.read { try M.latestSMSCode(userID: 1, purpose: "login", scope: "t", in: $0) })
        #expect(race(data) { db in try M.consumeSMSCode(id: sms.id, now: now, in: db) }.wins == 1)
        // TOTP: enabling twice — the second (a concurrent enable) is told it lost.
        #expect(try data.write { try M.enableTOTP(userID: 1, sealedSecret: [1, 2, 3], counter: 7, in: $0) })
        #expect(try data.write { try M.enableTOTP(userID: 1, sealedSecret: [4], counter: 8, in: $0) } == false)
        #expect(try data.read { try M.totpState(userID: 1, in: $0) }?.sealedSecret == [1, 2, 3])
    }

    // MARK: WebAuthnStorage

    @Test(arguments: Backend.allCases) func webAuthn_challengesSpentOnceByTheirOwner(_ backend: Backend) throws {
        try webAuthn(WebAuthnStore.self, UserStore.self, backend)
    }

    private func webAuthn<W: WebAuthnStorage, U: UserStorage>(_: W.Type, _: U.Type, _ backend: Backend) throws
    where W.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let challenge: [UInt8] = SHA256.hash(utf8: "challenge"), stale: [UInt8] = SHA256.hash(utf8: "stale")
        try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            _ = try makeUser(U.self, id: 2, in: db)
            try W.insertChallenge(hash: challenge, userID: 1, purpose: "register", ticketHash: nil, expiresAt: now + 60_000, in: db)
            try W.insertChallenge(hash: stale, userID: 1, purpose: "register", ticketHash: nil, expiresAt: now - 1, in: db)
        }
        #expect(try data.write { try W.consumeChallenge(hash: challenge, purpose: "register", userID: 2, now: now, in: $0) } == nil,
                "another user cannot spend it")
        #expect(try data.write { try W.consumeChallenge(hash: challenge, purpose: "sudo", userID: 1, now: now, in: $0) } == nil,
                "nor another purpose")
        #expect(race(data) { db in try W.consumeChallenge(hash: challenge, purpose: "register", userID: 1, now: now, in: db) != nil }.wins == 1)
        #expect(try data.write { try W.consumeChallenge(hash: stale, purpose: "register", userID: 1, now: now, in: $0) } == nil)
    }

    // MARK: SSOStorage

    @Test(arguments: Backend.allCases) func sso_statesAndCompletionsSpentOnce_identitiesKeyedByIssuerAndSubject(_ backend: Backend) throws {
        try sso(SSOStore.self, UserStore.self, backend)
    }

    private func sso<S: SSOStorage, U: UserStorage>(_: S.Type, _: U.Type, _ backend: Backend) throws
    where S.Transaction == SQLTransaction, U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let state: [UInt8] = SHA256.hash(utf8: "state"), binding: [UInt8] = SHA256.hash(utf8: "browser")
        let code: [UInt8] = SHA256.hash(utf8: "completion")
        try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            try S.insertState(SSOStateRecord(provider: "mock", nonce: "n", verifierSealed: [1], redirectTo: "/x", expiresAt: now + 600_000,
                                             redirectURI: "http://127.0.0.1/cb", browserBinding: binding, linkUserID: nil),
                              stateHash: state, clientKey: "192.0.2.1", in: db)
            try S.insertCompletion(SSOCompletion(provider: "mock", userID: 1, outcome: "session", redirectTo: "/x", expiresAt: now + 60_000),
                                   codeHash: code, in: db)
        }
        #expect(try data.read { try S.pendingStates(clientKey: "192.0.2.1", in: $0) } == 1)
        #expect(try data.write { try S.spendState(stateHash: state, browserBinding: nil, in: $0) } == nil, "bound to the browser")
        #expect(race(data) { db in try S.spendState(stateHash: state, browserBinding: binding, in: db)?.provider == "mock" }.wins == 1)
        #expect(race(data) { db in try S.spendCompletion(codeHash: code, in: db)?.userID == 1 }.wins == 1)
        try data.write { db in
            try S.link(issuer: "https://idp.example", subject: "sub-1", provider: "mock", userID: 1, email: "a@example.com", now: now,
                       handle: nil, in: db)
        }
        try data.read { db throws in
            #expect(try S.linkedUser(issuer: "https://idp.example", subject: "sub-1", in: db) == 1)
            #expect(try S.linkedUser(issuer: "https://other.example", subject: "sub-1", in: db) == nil, "a subject is only unique per issuer")
            #expect(try S.identityCount(userID: 1, in: db) == 1)
        }
        #expect(try data.write { try S.unlink(userID: 1, issuer: "https://idp.example", subject: "sub-1", in: $0) })
        #expect(try data.read { try S.hasIdentity(userID: 1, in: $0) } == false)
    }

    // MARK: JobLeaseStorage, InstanceStorage, RateLimitStorage

    @Test(arguments: Backend.allCases) func jobLeases_oneHolderUntilExpiry(_ backend: Backend) throws {
        try jobLeases(JobLeaseStore.self, backend)
    }

    private func jobLeases<J: JobLeaseStorage>(_: J.Type, _ backend: Backend) throws where J.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        let holders = Mutex<[String]>([])
        let outcome = race(data) { db in
            let me = "node-\(SecureRandom.uniform(1_000_000))"
            let won = try J.take(name: "sweep", holder: me, expiresAt: now + 60_000, now: now, in: db)
            if won { holders.withLock { $0.append(me) } }
            return won
        }
        #expect(outcome.wins == 1 && outcome.errors == 0)
        let holder = try #require(holders.withLock { $0.first })
        #expect(try data.write { try J.take(name: "sweep", holder: holder, expiresAt: now + 120_000, now: now + 1, in: $0) }, "the holder extends")
        #expect(try data.write { try J.take(name: "sweep", holder: "late", expiresAt: now + 200_000, now: now + 119_999, in: $0) } == false)
        #expect(try data.write { try J.take(name: "sweep", holder: "late", expiresAt: now + 200_000, now: now + 120_000, in: $0) }, "then expires")
    }

    @Test(arguments: Backend.allCases) func instanceAndRateLimits_firstWriterWins_andBucketsRoundTrip(_ backend: Backend) throws {
        try instanceAndRateLimits(InstanceStore.self, RateLimitStore.self, backend)
    }

    private func instanceAndRateLimits<I: InstanceStorage, R: RateLimitStorage>(_: I.Type, _: R.Type, _ backend: Backend) throws
    where I.Transaction == SQLTransaction, R.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        #expect(try data.write { try I.devSecretKey(storingIfAbsent: "first", in: $0) } == "first")
        #expect(try data.write { try I.devSecretKey(storingIfAbsent: "second", in: $0) } == "first", "every node gets the first key")
        try data.write { db in
            try R.setTAT(key: "login:ip:192.0.2.1", tat: now, in: db)
            try R.setTAT(key: "login:ip:192.0.2.1", tat: now + 5, in: db)
        }
        #expect(try data.read { try R.tat(key: "login:ip:192.0.2.1", in: $0) } == now + 5)
        try data.write { try R.delete(key: "login:ip:192.0.2.1", in: $0) }
        #expect(try data.read { try R.tat(key: "login:ip:192.0.2.1", in: $0) } == nil)
    }

    // MARK: GuildStorage, AuditStorage, OutboxStorage

    @Test(arguments: Backend.allCases) func guildsAuditAndOutbox_roundTrip(_ backend: Backend) throws {
        try guildsAuditAndOutbox(GuildStore.self, AuditStore.self, OutboxStore.self, UserStore.self, backend)
    }

    private func guildsAuditAndOutbox<G: GuildStorage, A: AuditStorage, O: OutboxStorage, U: UserStorage>(
        _: G.Type, _: A.Type, _: O.Type, _: U.Type, _ backend: Backend
    ) throws where G.Transaction == SQLTransaction, A.Transaction == SQLTransaction, O.Transaction == SQLTransaction,
                   U.Transaction == SQLTransaction {
        let data = try backend.migrated()
        defer { data.close() }
        try data.write { db in
            _ = try makeUser(U.self, id: 1, in: db)
            _ = try makeUser(U.self, id: 2, in: db)
            _ = try G.create(id: 300, name: "Guild", ownerID: 1, now: now, in: db)
            try G.addMember(guildID: 300, userID: 2, permissions: 0x400, source: "test", now: now, in: db)
            try A.insert(AuditEvent(at: now, event: "login", outcome: "ok", userID: 1, applicationID: nil, ip: "192.0.2.1",
                                    userAgent: nil, detail: nil), in: db)
            try O.insert(id: 1, OutboxMessage(channel: .email, recipient: "a@example.com", kind: "verify", body: "sealed"),
                         sealedBody: "sealed", now: now, in: db)
        }
        try data.read { db throws in
            #expect(try G.isMember(guildID: 300, userID: 2, in: db) && G.permissions(guildID: 300, userID: 2, in: db) == 0x400)
            #expect(try G.isMember(guildID: 300, userID: 3, in: db) == false)
            #expect(try A.events(userID: 1, since: 0, afterID: 0, limit: 10, in: db).map(\.event.event) == ["login"])
            #expect(try O.due(now: now, limit: 10, in: db).count == 1)
        }
        // Two senders claiming one message: one gets it.
        #expect(race(data) { db in try O.claim(id: 1, now: now, leaseUntil: now + 60_000, interruptedError: "x", in: db) != nil }.wins == 1)
    }
}
