import Crypto
import HTTPServer
import SQLite

extension Accounts {
    /// Counts one attempt against each key; the first that is over its limit answers 429.
    func throttle(_ keys: [(String, RateLimit)], in db: Connection) throws {
        let now = self.now
        for (key, limit) in keys {
            if case .limited(let retry) = try AttemptLimiter.hit(key, limit: limit, now: now, in: db) {
                throw APIError.rateLimited(retryAfterMilliseconds: retry)
            }
        }
    }

    /// One login attempt: counts against the per-email and per-IP limits (the real server's `login:email` and
    /// `login:ip`, checked before the password so every attempt counts), then finds the account.
    func loginAttempt(email: String, request: HTTPRequest) throws -> User? {
        try write { db, _ in
            try throttle([
                ("login:email:" + Base64URL.encode(SHA256.hash(UserStore.emailKey(email))), context.config.loginEmailLimit),
                ("login:ip:" + request.remoteAddress, context.config.loginIPLimit),
            ], in: db)
            return try UserStore.find(email: email, in: db)
        }
    }

    /// Verifies a password on the hash pool; `then` runs there. A full pool answers 503.
    func verifyOnPool(_ password: String, against hash: String?, reply: Reply, then: @escaping @Sendable (Bool) throws -> Void) throws {
        let ok = hashPool.verify(password, against: hash) { result in
            reply.run { try then(result) }
        }
        if !ok { throw APIError.serviceUnavailable() }
    }

    /// Hashes a password on the hash pool; `then` runs there with the PHC string.
    func hashOnPool(_ password: String, reply: Reply, then: @escaping @Sendable (String) throws -> Void) throws {
        let ok = hashPool.hash(password) { hash in
            reply.run {
                guard let hash else { throw APIError.internalError }
                try then(hash)
            }
        }
        if !ok { throw APIError.serviceUnavailable() }
    }

    /// After a correct password: users with MFA get a ticket for the second step; others a new session. The
    /// stored hash is upgraded when the configured argon2id parameters changed.
    func completeLogin(_ user: User, password: String, request: HTTPRequest) throws -> HTTPResponse {
        let upgraded = user.passwordHash.map(hashPool.hasher.needsRehash) == true ? try? hashPool.hasher.hash(password) : nil
        if user.hasMFA {
            let ticket = try write { db, _ in
                if let upgraded { try UserStore.upgradeHash(userID: user.id, hash: upgraded, in: db) }
                return try MFATicket.issue(userID: user.id, now: now, in: db)
            }
            audit.record("login.mfa_required", outcome: "success", userID: user.id, request: request)
            return MFATicket.response(ticket: ticket, user: user)
        }
        let token = try write { db, _ in
            if let upgraded { try UserStore.upgradeHash(userID: user.id, hash: upgraded, in: db) }
            try AccountLockout.recordSuccess(userID: user.id, in: db)
            return try createSession(for: user.id, request: request, in: db)
        }
        audit.record("login.success", outcome: "success", userID: user.id, request: request)
        return APIError.sessionResponse(userID: user.id, token: token)
    }

    /// Creates the account (and its first session) in one transaction.
    func createAccount(_ body: AuthRoutes.RegisterBody, passwordHash: String?, request: HTTPRequest) throws -> HTTPResponse {
        let now = self.now
        let username = body.username ?? AccountValidation.derivedUsername(globalName: body.global_name, email: body.email)
        let globalName = body.global_name.map { $0.trimmingASCIIWhitespace() }
        let (user, token) = try write { db, _ -> (User, String) in
            let user: User
            do {
                user = try UserStore.insert(.init(
                    id: context.snowflakes.next(), username: username, globalName: globalName, email: body.email,
                    passwordHash: passwordHash, dateOfBirth: body.date_of_birth, createdAt: now), in: db)
            } catch UserStore.InsertError.emailTaken {
                throw AuthRoutes.emailInUse
            } catch UserStore.InsertError.usernameExhausted {
                throw APIError.invalidField("username", "Too many users have this username; try another.", code: "TOO_MANY_USERS_WITH_THIS_USERNAME")
            }
            if let email = body.email { try sendVerification(to: user, email: email, in: db) }
            return (user, try createSession(for: user.id, request: request, in: db))
        }
        if body.email != nil { deliveryNudge() }
        return APIError.sessionResponse(userID: user.id, token: token)
    }

    /// A failed proof (password or second factor) for an existing account: counts towards the lock unless the
    /// account is already locked (counting then would let an attacker keep a victim locked forever), and is
    /// audited.
    func proofFailed(_ user: User, ok: Bool = false, request: HTTPRequest?, event: String) throws {
        let now = self.now
        let counted = try write { db, _ in
            try AccountLockout.recordFailure(userID: user.id, now: now, threshold: context.config.lockoutThreshold, in: db)
        }
        audit.record(event, outcome: "failure", userID: user.id, request: request, detail: counted ? nil : "locked")
    }

    /// Whether `user` is locked now, read from the database: sudo checks run on the cached principal's `User`,
    /// which does not see a lock set by failures elsewhere.
    func isLocked(_ user: User) throws -> Bool {
        let now = self.now
        return try context.database.read { try AccountLockout.isLocked(userID: user.id, now: now, in: $0) }
    }

    /// Tells the outbox a message is waiting.
    func deliveryNudge() { context.outbox.wake() }
}

