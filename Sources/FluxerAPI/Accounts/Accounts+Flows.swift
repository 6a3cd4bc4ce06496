import FluxerCrypto
import HTTPServer
import FluxerPersistence
import SQLite
import FluxerDomain

extension Accounts {
    /// Counts one attempt against each key; the first that is over its limit answers 429 (counted in
    /// `fluxer_rate_limit_refusals_total{limiter="attempt"}` under the key's first two parts, e.g. `login:email_ip`).
    package func throttle(_ keys: [(String, RateLimit)], in db: SQLTransaction) throws {
        let now = self.now
        for (key, limit) in keys {
            if case .limited(let retry) = try AttemptLimiter.hit(key, limit: limit, now: now, in: db) {
                context.metrics.rateLimited(limiter: "attempt", bucket: key.split(separator: ":").prefix(2).joined(separator: ":"))
                throw APIError.rateLimited(retryAfterMilliseconds: retry)
            }
        }
    }

    /// The throttle keys of one email from one client: the email's hash alone (the account-wide budget), and
    /// with the client's limit key (IPv6 by /64).
    package static func emailKeys(_ prefix: String, email: String, request: HTTPRequest) -> (email: String, emailIP: String, ip: String) {
        let hashed = Base64URL.encode(SHA256.hash(UserStore.emailKey(email)))
        let client = ClientKey.of(request.remoteAddress)
        return (prefix + ":email:" + hashed, prefix + ":email_ip:" + hashed + ":" + client, prefix + ":ip:" + client)
    }

    /// One login attempt: counts against the email from this client (the real server's 5 per 15 minutes per
    /// email, here per email and client so an attacker spends only their own attempts, LG-02), the email from
    /// every client (a budget one client cannot fill) and the client; checked before the password so every
    /// attempt counts. Then finds the account.
    package func loginAttempt(email: String, request: HTTPRequest) throws -> User? {
        let keys = Self.emailKeys("login", email: email, request: request)
        let config = context.config
        return try write { db, _ in
            try throttle([(keys.emailIP, config.loginEmailIPLimit), (keys.email, config.loginEmailLimit), (keys.ip, config.loginIPLimit)], in: db)
            return try UserStore.find(email: email, in: db)
        }
    }

    /// The lockout policy in force.
    package var lockoutPolicy: AccountLockout.Policy { AccountLockout.Policy(context.config) }

    /// Verifies a password on the hash pool; `then` runs there. A full pool answers 503.
    package func verifyOnPool(_ password: String, against hash: String?, reply: Reply, then: @escaping @Sendable (Bool) throws -> Void) throws {
        let ok = hashPool.verify(password, against: hash) { result in
            reply.run { try then(result) }
        }
        if !ok { throw APIError.serviceUnavailable() }
    }

    /// Hashes a password on the hash pool; `then` runs there with the PHC string.
    package func hashOnPool(_ password: String, reply: Reply, then: @escaping @Sendable (String) throws -> Void) throws {
        let ok = hashPool.hash(password) { hash in
            reply.run {
                guard let hash else { throw APIError.internalError }
                try then(hash)
            }
        }
        if !ok { throw APIError.serviceUnavailable() }
    }

    /// What a correct password leads to.
    package enum PasswordOutcome {
        /// The account has MFA: the ticket for the second step.
        case ticket(String)
        /// A new session.
        case session(String)
        /// No MFA, and a network the account was never authorized from (`security.ip_authorization`): the ticket
        /// the client polls; the approval link went to `email`.
        case ipAuthorizationRequired(ticket: String, email: String)
    }

    /// After a correct password, for every password sign-in (the API and the authorize page): users with MFA
    /// get a ticket for the second step (their failure count stays until that step succeeds); others a new
    /// session, and the failure count starts over, unless IP authorization holds the session back until the
    /// emailed link is opened. The stored hash is upgraded when the configured argon2id parameters changed.
    package func passwordAccepted(_ user: User, password: String, request: HTTPRequest) throws -> PasswordOutcome {
        // Only a caller who knows the password learns that the account is disabled.
        guard !user.isDisabled else {
            audit.record("login.failure", outcome: "refused", userID: user.id, request: request, detail: "account_disabled")
            throw APIError.accountSuspended
        }
        let upgraded = user.passwordHash.map(hashPool.hasher.needsRehash) == true ? try? hashPool.hasher.hash(password) : nil
        if try needsIPAuthorization(user, request: request), let email = user.email {
            let ticket = try write { db, _ in
                if let upgraded { try UserStore.upgradeHash(userID: user.id, hash: upgraded, in: db) }
                return try issueIPAuthorization(user, email: email, request: request, in: db)
            }
            deliveryNudge()
            audit.record("login.ip_authorization_required", outcome: "refused", userID: user.id, request: request)
            return .ipAuthorizationRequired(ticket: ticket, email: email)
        }
        if user.hasMFA {
            let ticket = try write { db, _ in
                if let upgraded { try UserStore.upgradeHash(userID: user.id, hash: upgraded, in: db) }
                return try MFATicket.issue(userID: user.id, now: now, in: db)
            }
            audit.record("login.mfa_required", outcome: "success", userID: user.id, request: request)
            return .ticket(ticket)
        }
        let token = try write { db, invalidations in
            if let upgraded { try UserStore.upgradeHash(userID: user.id, hash: upgraded, in: db) }
            try AccountLockout.recordSuccess(userID: user.id, in: db)
            return try createSession(for: user.id, request: request, in: db, &invalidations)
        }
        audit.record("login.success", outcome: "success", userID: user.id, request: request)
        return .session(token)
    }

    /// `passwordAccepted` as the API answers it.
    package func completeLogin(_ user: User, password: String, request: HTTPRequest) throws -> HTTPResponse {
        switch try passwordAccepted(user, password: password, request: request) {
        case .ticket(let ticket): return MFATicket.response(ticket: ticket, user: user)
        case .session(let token): return APIError.sessionResponse(userID: user.id, token: token)
        case .ipAuthorizationRequired(let ticket, let email): return IPAuthorization.required(ticket: ticket, email: email).response
        }
    }

    /// Creates the account (and its first session) in one transaction.
    package func createAccount(_ body: AuthRoutes.RegisterBody, passwordHash: String?, request: HTTPRequest) throws -> HTTPResponse {
        let now = self.now
        let username = body.username ?? AccountValidation.derivedUsername(globalName: body.global_name, email: body.email)
        let globalName = body.global_name.map { $0.trimmingASCIIWhitespace() }
        let (user, token) = try write { db, invalidations -> (User, String) in
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
            try authorizeRegistrationNetwork(userID: user.id, request: request, in: db)
            return (user, try createSession(for: user.id, request: request, in: db, &invalidations))
        }
        if body.email != nil { deliveryNudge() }
        return APIError.sessionResponse(userID: user.id, token: token)
    }

    /// A failed proof (password or second factor) for an existing account: counts towards the lock unless the
    /// account is already locked (counting then would let an attacker keep a victim locked forever), and is
    /// audited.
    package func proofFailed(_ user: User, ok: Bool = false, request: HTTPRequest?, event: String) throws {
        let now = self.now
        let counted = try write { db, _ in
            try AccountLockout.recordFailure(userID: user.id, now: now, policy: lockoutPolicy, in: db)
        }
        audit.record(event, outcome: "failure", userID: user.id, request: request, detail: counted ? nil : "locked")
    }

    /// Whether `user` is locked now, read from the database: sudo checks run on the cached principal's `User`,
    /// which does not see a lock set by failures elsewhere.
    package func isLocked(_ user: User) throws -> Bool {
        let now = self.now
        return try context.database.read { try AccountLockout.isLocked(userID: user.id, now: now, in: $0) }
    }

    /// Tells the outbox a message is waiting.
    package func deliveryNudge() { context.outbox.wake() }
}

